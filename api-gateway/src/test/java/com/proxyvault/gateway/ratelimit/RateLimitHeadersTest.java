package com.proxyvault.gateway.ratelimit;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Header values as draft-ietf-httpapi-ratelimit-headers-10 writes them (sections 3, 4 and 5). */
class RateLimitHeadersTest {

    @Test
    void shouldRenderPolicyAndRemainingQuotaOnAnAllowedRequest() {
        RateLimiter.Decision allowed = RateLimiter.Decision.of(true, 60, 60_000, 1, 60_000);
        assertEquals("\"default\";q=60;w=60", allowed.policyHeaderValue());
        assertEquals("\"default\";r=59;t=60", allowed.rateLimitHeaderValue());
        assertNull(allowed.retryAfterHeaderValue());
        assertEquals(Map.of("RateLimit-Policy", "\"default\";q=60;w=60", "RateLimit", "\"default\";r=59;t=60"),
                allowed.headers());
    }

    @Test
    void shouldAddRetryAfterEqualToTheResetOnARefusal() {
        RateLimiter.Decision refused = RateLimiter.Decision.of(false, 60, 60_000, 60, 12_300);
        assertEquals("\"default\";r=0;t=13", refused.rateLimitHeaderValue()); // 12.3 s rounds up
        assertEquals("13", refused.retryAfterHeaderValue());
        assertEquals(List.of("RateLimit-Policy", "RateLimit", "Retry-After"), List.copyOf(refused.headers().keySet()));
        assertEquals("13", refused.headers().get(RateLimiter.RETRY_AFTER_HEADER));
    }

    @Test
    void shouldNeverSayZeroSecondsNorMoreThanTheWindow() {
        assertEquals(1, RateLimiter.Decision.of(false, 60, 60_000, 60, 1).retryAfterSeconds());
        assertEquals(1, RateLimiter.Decision.of(false, 60, 60_000, 60, 0).retryAfterSeconds());
        assertEquals(60, RateLimiter.Decision.of(true, 60, 60_000, 1, 75_000).resetSeconds()); // clock stepped back
    }
}
