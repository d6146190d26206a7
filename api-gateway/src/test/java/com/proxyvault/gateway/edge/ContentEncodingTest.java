package com.proxyvault.gateway.edge;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Which request bodies the public port reads as sent (docs/api.md, 415), without a server. */
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
    void shouldTrimTheCodingItNames() {
        assertEquals("gzip", EdgeRequests.unsupportedContentEncoding("  gzip "));
    }
}
