package com.proxyvault.orders.orders;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.proxyvault.platform.http.ApiException;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Pay's body rule ({@link OrderResource#requireNoPayFields}, docs/api.md "Request bodies"), without a server:
 * nothing or {@code {}}, judged with the service's injected {@code ObjectMapper} (one idiom per concern:
 * constructor injection), not a mapper of its own. OrderFlowTest holds the same rule over HTTP.
 */
class PayBodyTest {

    private final AtomicInteger parsers = new AtomicInteger();
    /** Counts the parsers it makes, so the test sees whose mapper read the body. */
    private final JsonFactory counting = new JsonFactory() {
        @Override
        public JsonParser createParser(byte[] data) throws IOException {
            parsers.incrementAndGet();
            return super.createParser(data);
        }
    };
    private final OrderResource resource = new OrderResource(null, null, new ObjectMapper(counting));

    @Test
    void shouldReadThePayBodyWithTheInjectedObjectMapper() {
        resource.requireNoPayFields("application/json", bytes("{}"));
        assertTrue(parsers.get() > 0, "the body was read by the injected mapper's factory");
    }

    @Test
    void shouldAcceptNoBodyOrAnEmptyObject() {
        assertDoesNotThrow(() -> resource.requireNoPayFields(null, null));
        assertDoesNotThrow(() -> resource.requireNoPayFields(null, bytes(" \n")));
        assertDoesNotThrow(() -> resource.requireNoPayFields("Application/JSON; charset=utf-8", bytes(" { } ")));
        // RFC 8259 section 8.1: a parser may ignore a UTF-8 byte order mark (docs/api.md rule 1)
        assertDoesNotThrow(() -> resource.requireNoPayFields("application/json", new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, '{', '}'}));
    }

    @Test
    void shouldRefuseEverythingElseWithTheCodeOfItsKind() {
        assertEquals(415, refusal("text/plain", bytes("hello")).status());
        // no Content-Type at all: read as JSON, like every other body (new-user review 4: it was 415 here only)
        assertEquals(422, refusal(null, bytes("{\"really\": false}")).status());
        assertDoesNotThrow(() -> resource.requireNoPayFields(null, bytes("{}")));
        assertEquals(400, refusal("application/json", bytes("{")).status());
        assertEquals(422, refusal("application/json", bytes("[1]")).status());
        ApiException field = refusal("application/json", bytes("{\"x\":1}"));
        assertEquals(422, field.status());
        assertTrue(field.detail().contains("'x'"), field.detail());
        ApiException bom = refusal("application/json", new byte[] {(byte) 0xFF, (byte) 0xFE, '{', 0, '}', 0});
        assertEquals(400, bom.status());
        assertTrue(bom.detail().contains("byte order mark"), bom.detail());
    }

    private ApiException refusal(String contentType, byte[] body) {
        return assertThrows(ApiException.class, () -> resource.requireNoPayFields(contentType, body));
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
