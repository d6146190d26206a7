package com.proxyvault.gateway.ratelimit;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The in-process store through {@link RateLimiter} (the Redis store: {@link RedisRateLimiterTest}). */
class RateLimiterTest {

    private final ManualClock clock = new ManualClock(Instant.parse("2026-05-25T12:00:00Z"));

    private RateLimiter limiter(int limit) {
        return new RateLimiter(limit, clock, new SimpleMeterRegistry(), null, Duration.ofMillis(250), Duration.ofSeconds(1));
    }

    private RateLimiter.Decision acquire(RateLimiter limiter, String key) {
        return limiter.acquire(key).await().indefinitely();
    }

    @Test
    void shouldAllowSixtyRequestsInAMinuteAndRefuseTheSixtyFirst() {
        RateLimiter limiter = limiter(60);
        for (int i = 0; i < 60; i++) {
            RateLimiter.Decision decision = acquire(limiter, "k");
            assertTrue(decision.allowed(), "request " + (i + 1));
            assertEquals(59 - i, decision.remaining());
            clock.advance(Duration.ofMillis(500));
        }
        RateLimiter.Decision refused = acquire(limiter, "k"); // 30 s after the first
        assertFalse(refused.allowed());
        assertEquals(0, refused.remaining());
        assertEquals(30, refused.retryAfterSeconds());
        assertEquals(30, refused.resetSeconds());
    }

    @Test
    void shouldAllowTheLimitPerRollingMinuteAndSayWhenToRetry() {
        RateLimiter limiter = limiter(3);
        assertTrue(acquire(limiter, "k").allowed());
        clock.advance(Duration.ofSeconds(10));
        assertTrue(acquire(limiter, "k").allowed());
        clock.advance(Duration.ofSeconds(10));
        RateLimiter.Decision third = acquire(limiter, "k");
        assertTrue(third.allowed());
        assertEquals(0, third.remaining());
        assertEquals(40, third.resetSeconds()); // the first request leaves the window at +60 s
        clock.advance(Duration.ofSeconds(10));
        RateLimiter.Decision refused = acquire(limiter, "k");
        assertFalse(refused.allowed());
        assertEquals(30, refused.retryAfterSeconds());
        assertTrue(acquire(limiter, "other").allowed());
        clock.advance(Duration.ofMillis(29_999));
        assertFalse(acquire(limiter, "k").allowed()); // the first request is 59.999 s old: still counted
        clock.advance(Duration.ofMillis(1));
        assertTrue(acquire(limiter, "k").allowed()); // exactly 60 s old: out of the window
    }

    @Test
    void shouldNotCountRefusedRequests() {
        RateLimiter limiter = limiter(2);
        acquire(limiter, "k");
        acquire(limiter, "k");
        for (int i = 0; i < 10; i++) {
            clock.advance(Duration.ofSeconds(5));
            assertFalse(acquire(limiter, "k").allowed());
        }
        clock.advance(Duration.ofSeconds(10)); // 60 s after the two allowed ones
        assertTrue(acquire(limiter, "k").allowed());
        assertTrue(acquire(limiter, "k").allowed());
        assertFalse(acquire(limiter, "k").allowed());
    }

    @Test
    void shouldKeepCountingAcrossEvictionOfIdleKeys() {
        RateLimiter limiter = limiter(3);
        for (int i = 0; i <= MemoryRateLimitStore.EVICT_ABOVE; i++) {
            acquire(limiter, "idle-" + i);
        }
        clock.advance(Duration.ofSeconds(70));
        for (int i = 0; i < 3; i++) {
            assertTrue(acquire(limiter, "busy").allowed());
        }
        // The next call evicts the idle keys (over a minute old) but not the busy one's log.
        clock.advance(Duration.ofMillis(1));
        assertFalse(acquire(limiter, "busy").allowed());
    }

    @Test
    void shouldRefuseALimitBelowOne() {
        assertThrows(IllegalArgumentException.class, () -> limiter(0));
    }
}
