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

    @Test
    void shouldJudgeTheCharsetOnlyOfARequestWithABody() {
        assertFalse(EdgeRequests.hasBody(MultiMap.caseInsensitiveMultiMap()));
        assertFalse(EdgeRequests.hasBody(MultiMap.caseInsensitiveMultiMap().add("Content-Length", "0")));
        assertTrue(EdgeRequests.hasBody(MultiMap.caseInsensitiveMultiMap().add("Content-Length", "2")));
        assertTrue(EdgeRequests.hasBody(MultiMap.caseInsensitiveMultiMap().add("Transfer-Encoding", "chunked")));
    }
}
