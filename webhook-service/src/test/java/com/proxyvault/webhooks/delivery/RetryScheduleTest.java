package com.proxyvault.webhooks.delivery;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RetryScheduleTest {

    private final RetrySchedule schedule = new RetrySchedule(List.of(Duration.ofSeconds(5), Duration.ofSeconds(30),
            Duration.ofMinutes(2), Duration.ofMinutes(10), Duration.ofHours(1)));

    @Test
    void shouldBackOffAfterEachFailedAttemptAndThenGiveUp() {
        assertEquals(Optional.of(Duration.ofSeconds(5)), schedule.waitAfterFailedAttempt(1));
        assertEquals(Optional.of(Duration.ofSeconds(30)), schedule.waitAfterFailedAttempt(2));
        assertEquals(Optional.of(Duration.ofHours(1)), schedule.waitAfterFailedAttempt(5));
        assertEquals(Optional.empty(), schedule.waitAfterFailedAttempt(6));
        assertEquals(6, schedule.maxAttempts());
    }

    @Test
    void shouldSpreadEachWaitByTheJitterAndNeverWaitLessThanRetryAfter() {
        RetrySchedule issue9 = new RetrySchedule(List.of(Duration.ofSeconds(5), Duration.ofMinutes(5), Duration.ofMinutes(30),
                Duration.ofHours(2), Duration.ofHours(5), Duration.ofHours(10), Duration.ofHours(10)), 0.2);
        assertEquals(8, issue9.maxAttempts(), "an immediate attempt and seven retries");
        for (int i = 0; i < 200; i++) {
            Duration wait = issue9.jittered(2, null).orElseThrow();
            assertTrue(wait.compareTo(Duration.ofMinutes(4)) >= 0 && wait.compareTo(Duration.ofMinutes(6)) <= 0, wait.toString());
        }
        assertEquals(Duration.ofHours(1), issue9.jittered(1, Duration.ofHours(1)).orElseThrow(), "Retry-After wins when longer");
        assertEquals(Optional.empty(), issue9.jittered(8, Duration.ofHours(1)), "no retry left");
    }
}
