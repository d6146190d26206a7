package com.proxyvault.gateway.auth;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which sentence a refused {@code /v1/reseller} request gets, from its {@code Authorization} header alone. */
class ApiKeyRefusalTest {

    /** Shaped like an operator token; the signature is junk, since the shape alone decides. */
    private static final String JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJvcHMiLCJncm91cHMiOlsib3BlcmF0b3IiXX0.c2lnbmF0dXJl";

    @Test
    void shouldNameTheOperatorTokenAndTheKeysHeaderWhenABearerLooksLikeAJwt() {
        assertEquals(ApiKeyRefusal.OPERATOR_TOKEN_DETAIL, ApiKeyRefusal.detail("Bearer " + JWT));
        assertEquals(ApiKeyRefusal.OPERATOR_TOKEN_DETAIL, ApiKeyRefusal.detail("bearer  " + JWT + " "));
        assertTrue(ApiKeyRefusal.OPERATOR_TOKEN_DETAIL.startsWith(ApiKeyRefusal.DETAIL), "the old sentence still leads");
        assertTrue(ApiKeyRefusal.OPERATOR_TOKEN_DETAIL.contains("operator token (JWT)"));
        assertTrue(ApiKeyRefusal.OPERATOR_TOKEN_DETAIL.contains("Authorization: Bearer rv_"));
    }

    @Test
    void shouldKeepThePlainSentenceForAnythingThatIsNotABearerJwt() {
        assertEquals(ApiKeyRefusal.DETAIL, ApiKeyRefusal.detail(null));
        assertEquals(ApiKeyRefusal.DETAIL, ApiKeyRefusal.detail("Bearer rv_unknown"));
        assertEquals(ApiKeyRefusal.DETAIL, ApiKeyRefusal.detail("Bearer rv_a.b.c"), "an rv_ key is a key, whatever its dots");
        assertEquals(ApiKeyRefusal.DETAIL, ApiKeyRefusal.detail("Basic " + JWT), "only a Bearer credential is the key's place");
        assertEquals(ApiKeyRefusal.DETAIL, ApiKeyRefusal.detail("Bearer a.b"));
        assertEquals(ApiKeyRefusal.DETAIL, ApiKeyRefusal.detail("Bearer a.b.c.d.e"), "five parts is an encrypted JWT, not an operator token");
        assertEquals(ApiKeyRefusal.DETAIL, ApiKeyRefusal.detail("Bearer a..c"));
        assertEquals(ApiKeyRefusal.DETAIL, ApiKeyRefusal.detail("Bearer a.b+/.c="), "base64url has no + / or padding");
        assertEquals(ApiKeyRefusal.DETAIL, ApiKeyRefusal.detail("Bearer"));
    }
}
