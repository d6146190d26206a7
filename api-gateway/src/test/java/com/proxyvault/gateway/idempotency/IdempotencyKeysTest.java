package com.proxyvault.gateway.idempotency;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IdempotencyKeysTest {

    @Test
    void shouldApplyToTheFourPostEndpointsOnly() {
        assertTrue(IdempotencyKeys.appliesTo("POST", "/v1/reseller/orders"));
        assertTrue(IdempotencyKeys.appliesTo("POST", "/v1/reseller/orders/42/pay"));
        assertTrue(IdempotencyKeys.appliesTo("POST", "/v1/reseller/webhooks"));
        assertTrue(IdempotencyKeys.appliesTo("POST", "/v1/reseller/keys"));
        assertFalse(IdempotencyKeys.appliesTo("GET", "/v1/reseller/orders"));
        assertFalse(IdempotencyKeys.appliesTo("POST", "/v1/reseller/orders/42/cancel"));
        assertFalse(IdempotencyKeys.appliesTo("DELETE", "/v1/reseller/keys/3"));
        assertFalse(IdempotencyKeys.appliesTo("POST", "/v1/admin/resellers"));
    }

    @Test
    void shouldAcceptOneTo255PrintableAsciiCharacters() {
        assertTrue(IdempotencyKeys.isValid("a"));
        assertTrue(IdempotencyKeys.isValid("x".repeat(255)));
        assertTrue(IdempotencyKeys.isValid("0f8fad5b-d9cb-469f-a165-70867728950e"));
        assertTrue(IdempotencyKeys.isValid("with space ~!"));
        assertFalse(IdempotencyKeys.isValid(null));
        assertFalse(IdempotencyKeys.isValid(""));
        assertFalse(IdempotencyKeys.isValid("x".repeat(256)));
        assertFalse(IdempotencyKeys.isValid("caf\u00e9"));
        assertFalse(IdempotencyKeys.isValid("tab\there"));
        assertFalse(IdempotencyKeys.isValid("del\u007f"));
    }
}
