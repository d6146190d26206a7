package com.proxyvault.platform.net;

import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link HttpFraming}'s rules without a server (docs/api.md and docs/device-agent.md "Request framing"); the api-gateway's
 * PublicPortTest and the agent's RequestFramingTest send the same requests over raw sockets.
 */
class HttpFramingTest {

    /** RFC 9112 section 6.1: chunked alone is the framing the gateway and the agent read, its lines and empty elements aside. */
    @ParameterizedTest
    @ValueSource(strings = {"chunked", "Chunked", " chunked ", ", chunked", "chunked,,", ",|chunked"})
    void shouldReadATransferEncodingOfChunkedAlone(String lines) {
        assertNull(HttpFraming.judgeTransferEncoding(HttpVersion.HTTP_1_1, List.of(lines.split("\\|"))));
        assertNull(HttpFraming.judgeTransferEncoding(HttpVersion.HTTP_1_1, List.of()), "no Transfer-Encoding");
    }

    /**
     * RFC 9112 sections 6.1 and 6.3 item 4 (docs/api.md "Request framing"): lines joined in order, 400 when the body's
     * end is unknown, 501 naming the codings neither server implements (new-user review 32, M4).
     */
    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
            "gzip;400;Transfer-Encoding must end with chunked: without it the body's end is unknown",
            "'';400;Transfer-Encoding must end with chunked: without it the body's end is unknown",
            "chunked|gzip;400;Transfer-Encoding must end with chunked: without it the body's end is unknown",
            "'chunked;x=1';400;Transfer-Encoding must end with chunked: without it the body's end is unknown",
            "chunked, chunked;400;Transfer-Encoding must name chunked only once",
            "chunked|CHUNKED;400;Transfer-Encoding must name chunked only once",
            "gzip, chunked;501;Transfer-Encoding gzip is not supported: send the body with chunked alone, or with Content-Length",
            "GZIP|chunked;501;Transfer-Encoding GZIP is not supported: send the body with chunked alone, or with Content-Length",
            "identity ,  br,chunked;501;Transfer-Encoding identity, br is not supported: send the body with chunked alone,"
                    + " or with Content-Length"})
    void shouldRefuseAnyOtherTransferEncodingSayingWhy(String lines, int status, String detail) {
        HttpFraming.Verdict refusal = HttpFraming.judgeTransferEncoding(HttpVersion.HTTP_1_1, List.of(lines.split("\\|")));
        assertEquals(status, refusal.status());
        assertEquals(status == 501 ? "unsupported_transfer_coding" : "bad_request", refusal.code());
        assertEquals(detail, refusal.detail());
    }

    /** RFC 9112 section 6.1: a server must treat Transfer-Encoding in an HTTP/1.0 message as faulty framing. */
    @Test
    void shouldRefuseTransferEncodingInHttp10() {
        HttpFraming.Verdict refusal = HttpFraming.judgeTransferEncoding(HttpVersion.HTTP_1_0, List.of("chunked"));
        assertEquals(400, refusal.status());
        assertEquals("Transfer-Encoding is not allowed in an HTTP/1.0 request", refusal.detail());
    }

    /** RFC 9110 section 15.6.6 and RFC 9112 section 2.3: 1.0 and 1.1 as the codec reads them; 505 for other versions. */
    @Test
    void shouldServeHttp10And11AndAnswerAnyOtherVersionWith505() {
        assertNull(HttpFraming.judgeVersion(HttpVersion.valueOf("HTTP/1.0")));
        assertNull(HttpFraming.judgeVersion(HttpVersion.valueOf("HTTP/1.1")));
        for (String version : new String[] {"HTTP/2.0", "HTTP/1.2", "HTTP/0.9", "HTTP/3.0"}) {
            HttpFraming.Verdict refusal = HttpFraming.judgeVersion(HttpVersion.valueOf(version));
            assertEquals(505, refusal.status(), version);
            assertEquals("http_version_not_supported", refusal.code());
            assertTrue(refusal.answerInHttp11());
        }
        for (String version : new String[] {"http/1.1", "HTTP/01.0", "HTTPS/1.1"}) {
            assertEquals(400, HttpFraming.judgeVersion(HttpVersion.valueOf(version)).status(), version);
        }
    }

}
