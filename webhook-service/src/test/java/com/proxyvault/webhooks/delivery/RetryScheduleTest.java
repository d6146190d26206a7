package com.proxyvault.webhooks.delivery;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
}
