package com.proxyvault.gateway.ratelimit;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RateLimiterTest {

    private final RateLimiter limiter = new RateLimiter(3);

    @Test
    void shouldAllowTheLimitPerRollingMinuteAndSayWhenToRetry() {
        long t0 = 1_000_000;
        assertTrue(limiter.tryAcquire("k", t0).allowed());
        assertTrue(limiter.tryAcquire("k", t0 + 10_000).allowed());
        assertTrue(limiter.tryAcquire("k", t0 + 20_000).allowed());
        RateLimiter.Decision refused = limiter.tryAcquire("k", t0 + 30_000);
        assertFalse(refused.allowed());
        assertEquals(30, refused.retryAfterSeconds()); // the first request leaves the window at t0 + 60 s
        assertTrue(limiter.tryAcquire("k", t0 + 60_001).allowed());
        assertTrue(limiter.tryAcquire("other", t0 + 30_000).allowed());
    }

    @Test
    void shouldKeepCountingAcrossEvictionOfIdleKeys() {
        long t0 = 5_000_000;
        for (int i = 0; i < 10_001; i++) {
            limiter.tryAcquire("idle-" + i, t0);
        }
        for (int i = 0; i < 3; i++) {
            assertTrue(limiter.tryAcquire("busy", t0 + 70_000).allowed());
        }
        // The next call evicts the idle keys (over a minute old) but not the busy one's window.
        assertFalse(limiter.tryAcquire("busy", t0 + 70_001).allowed());
    }
}
