package com.proxyvault.gateway.edge;

import io.netty.handler.codec.http.HttpVersion;
import io.vertx.core.MultiMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which request bodies, headers and framings the public port reads as sent (docs/api.md, 415 and 400; "Request
 * framing": 400, 501, 505), without a server.
 */
class ContentEncodingTest {

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "identity", "IDENTITY", " identity "})
    void shouldReadABodySentAsIs(String header) {
        assertNull(EdgeRequests.unsupportedContentEncoding(header));
        assertNull(EdgeRequests.unsupportedContentEncoding(null));
    }

    /** Found trying the API as a new user: gzip was 400 "not valid UTF-8", br on a plain body was accepted. */
    @ParameterizedTest
    @ValueSource(strings = {"gzip", "br", "deflate", "gzip, identity", "x-gzip"})
    void shouldNameAnyOtherCodingForThe415(String header) {
        assertEquals(header, EdgeRequests.unsupportedContentEncoding(header));
    }

    @Test
    void shouldJudgeContentEncodingLinesTogether() {
        MultiMap headers = MultiMap.caseInsensitiveMultiMap();
        assertNull(EdgeRequests.contentEncoding(headers));
        headers.add("Content-Encoding", "identity");
        assertEquals("identity", EdgeRequests.contentEncoding(headers));
        headers.add("content-encoding", "gzip");
        assertEquals("identity, gzip", EdgeRequests.unsupportedContentEncoding(EdgeRequests.contentEncoding(headers)));
    }

    /** RFC 9110 singletons (and Idempotency-Key): a second line, whatever its case or value, is named. */
    @Test
    void shouldNameASingletonHeaderSentTwice() {
        MultiMap headers = MultiMap.caseInsensitiveMultiMap().add("Authorization", "Bearer rv_a").add("Accept", "a/b")
                .add("Accept", "c/d").add("Content-Type", "application/json");
        assertNull(EdgeRequests.repeatedSingleton(headers), "Accept is a list");
        headers.add("AUTHORIZATION", "Bearer rv_a");
        assertEquals("Authorization", EdgeRequests.repeatedSingleton(headers));
        MultiMap keys = MultiMap.caseInsensitiveMultiMap().add("Idempotency-Key", "k").add("idempotency-key", "k");
        assertEquals("Idempotency-Key", EdgeRequests.repeatedSingleton(keys));
    }

    @Test
    void shouldTrimTheCodingItNames() {
        assertEquals("gzip", EdgeRequests.unsupportedContentEncoding("  gzip "));
    }

    @ParameterizedTest
    @ValueSource(strings = {"application/json", "application/json; charset=utf-8", "application/json;charset=UTF-8",
            "application/json; charset=\"Utf-8\"", "text/plain; format=flowed", "application/json; CHARSET = utf-8 ",
            "application/json; charset=utf8", "application/json; charset=\"UTF8\""})
    void shouldReadABodyInUtf8OrWithoutACharset(String contentType) {
        assertNull(EdgeRequests.unsupportedCharset(contentType));
        assertNull(EdgeRequests.unsupportedCharset(null));
    }

    /** New-user review: application/json; charset=latin1 was accepted, and its bytes judged as UTF-8. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"application/json; charset=latin1|latin1", "application/json;charset=ISO-8859-1|ISO-8859-1",
            "application/json; charset=\"utf-16\"|utf-16", "application/json; charset=utf-16le|utf-16le",
            "application/json; charset=utf-8; charset=latin1|latin1", "application/json; charset=|''"})
    void shouldNameAnyOtherCharsetForThe415(String contentType, String charset) {
        assertEquals(charset, EdgeRequests.unsupportedCharset(contentType));
    }

    @ParameterizedTest
    @ValueSource(strings = {"application/json", "Application/JSON", " application/json ; charset=utf-8", "application/json;x=1"})
    void shouldTakeApplicationJsonInAnyCase(String contentType) {
        assertNull(EdgeRequests.unsupportedMediaType(contentType));
        assertNull(EdgeRequests.unsupportedMediaType(null), "no Content-Type: read as JSON");
    }

    /** New-user review: "* /*" (any type) and "application/*" were read as JSON, "text/plain" ran a bodyless action. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"*/*|*/*", "application/*|application/*", "text/plain; charset=utf-8|text/plain",
            "application/x-www-form-urlencoded|application/x-www-form-urlencoded", "application/json-patch+json|application/json-patch+json",
            "''|''"})
    void shouldNameAnyOtherMediaTypeForThe415(String contentType, String mediaType) {
        assertEquals(mediaType, EdgeRequests.unsupportedMediaType(contentType));
    }

    /** RFC 9112 section 6.1: chunked alone is the framing the gateway reads, its lines and empty elements aside. */
    @ParameterizedTest
    @ValueSource(strings = {"chunked", "Chunked", " chunked ", ", chunked", "chunked,,", ",|chunked"})
    void shouldReadATransferEncodingOfChunkedAlone(String lines) {
        assertNull(RequestFraming.judgeTransferEncoding(HttpVersion.HTTP_1_1, List.of(lines.split("\\|"))));
        assertNull(RequestFraming.judgeTransferEncoding(HttpVersion.HTTP_1_1, List.of()), "no Transfer-Encoding");
    }

    /**
     * RFC 9112 sections 6.1 and 6.3 item 4 (docs/api.md "Request framing"): lines joined in order, 400 when the body's
     * end is unknown, 501 naming the codings the gateway does not implement (new-user review 32, M4).
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
        RequestFraming.Refusal refusal = RequestFraming.judgeTransferEncoding(HttpVersion.HTTP_1_1, List.of(lines.split("\\|")));
        assertEquals(status, refusal.status);
        assertEquals(status == 501 ? "unsupported_transfer_coding" : "bad_request", refusal.code);
        assertEquals(detail, refusal.getMessage());
    }

    /** RFC 9112 section 6.1: a server must treat Transfer-Encoding in an HTTP/1.0 message as faulty framing. */
    @Test
    void shouldRefuseTransferEncodingInHttp10() {
        RequestFraming.Refusal refusal = RequestFraming.judgeTransferEncoding(HttpVersion.HTTP_1_0, List.of("chunked"));
        assertEquals(400, refusal.status);
        assertEquals("Transfer-Encoding is not allowed in an HTTP/1.0 request", refusal.getMessage());
    }

    /** RFC 9110 section 15.6.6 and RFC 9112 section 2.3: 1.0 and 1.1 as the codec reads them; 505 for other versions. */
    @Test
    void shouldServeHttp10And11AndAnswerAnyOtherVersionWith505() {
        assertNull(RequestFraming.judgeVersion(HttpVersion.valueOf("HTTP/1.0")));
        assertNull(RequestFraming.judgeVersion(HttpVersion.valueOf("HTTP/1.1")));
        for (String version : new String[] {"HTTP/2.0", "HTTP/1.2", "HTTP/0.9", "HTTP/3.0"}) {
            RequestFraming.Refusal refusal = RequestFraming.judgeVersion(HttpVersion.valueOf(version));
            assertEquals(505, refusal.status, version);
            assertEquals("http_version_not_supported", refusal.code);
            assertTrue(refusal.answerInHttp11);
        }
        for (String version : new String[] {"http/1.1", "HTTP/01.0", "HTTPS/1.1"}) {
            assertEquals(400, RequestFraming.judgeVersion(HttpVersion.valueOf(version)).status, version);
        }
    }

    @Test
    void shouldJudgeTheCharsetOnlyOfARequestWithABody() {
        assertFalse(EdgeRequests.hasBody(MultiMap.caseInsensitiveMultiMap()));
        assertFalse(EdgeRequests.hasBody(MultiMap.caseInsensitiveMultiMap().add("Content-Length", "0")));
        assertTrue(EdgeRequests.hasBody(MultiMap.caseInsensitiveMultiMap().add("Content-Length", "2")));
        assertTrue(EdgeRequests.hasBody(MultiMap.caseInsensitiveMultiMap().add("Transfer-Encoding", "chunked")));
    }
}
