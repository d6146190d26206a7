package com.proxyvault.gateway.auth;

import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FailedAuthenticationsTest {

    /** A clock the test moves by hand. */
    static final class ManualClock extends Clock {
        private Instant now = Instant.parse("2026-11-30T12:00:00Z");

        void advance(Duration by) {
            now = now.plus(by);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    @Test
    void shouldThrottleAnAddressOnceItsFailuresUseUpTheBurstAndLetItBackAsTheyRefill() {
        ManualClock clock = new ManualClock();
        FailedAuthentications failures = new FailedAuthentications(3, clock);
        failures.record("192.0.2.1");
        failures.record("192.0.2.1");
        assertEquals(0, failures.retryAfterSeconds("192.0.2.1"), "two of three failures: still allowed");
        failures.record("192.0.2.1");
        long wait = failures.retryAfterSeconds("192.0.2.1");
        assertTrue(wait >= 1 && wait <= 20, "3 per minute refill one every 20 s, was " + wait);
        assertEquals(0, failures.retryAfterSeconds("198.51.100.7"), "other addresses are counted on their own");
        clock.advance(Duration.ofSeconds(20));
        assertEquals(0, failures.retryAfterSeconds("192.0.2.1"));
    }
}
