package com.proxyvault.fleet.renewals;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ExpiryCheckpointsTest {

    private static final Duration HOUR = Duration.ofHours(1);
    private static final Duration DAY = Duration.ofDays(1);
    private static final Duration MONTH = Duration.ofDays(30);
    private final ExpiryCheckpoints checkpoints = new ExpiryCheckpoints(List.of(HOUR, DAY));
    private final LocalDateTime expiry = LocalDateTime.of(2026, 12, 31, 12, 0);

    @Test
    void shouldApplyOnlyTheCheckpointsShorterThanThePeriod() {
        assertEquals(List.of(DAY, HOUR), checkpoints.applicable(MONTH));
        // a 24 h notice on a 1-day proxy would fire the moment it is bought
        assertEquals(List.of(HOUR), checkpoints.applicable(DAY));
        // nothing shorter than an hour: half the period
        assertEquals(List.of(Duration.ofMinutes(30)), checkpoints.applicable(HOUR));
    }

    @Test
    void shouldActOnTheLatestCheckpointPassedOnly() {
        assertEquals(Optional.empty(), checkpoints.passed(MONTH, expiry, expiry.minusDays(2)));
        assertEquals(Optional.of(DAY), checkpoints.passed(MONTH, expiry, expiry.minusDays(1)));
        assertEquals(Optional.of(DAY), checkpoints.passed(MONTH, expiry, expiry.minusHours(2)));
        // the service was down through both: one action, for the 1 h checkpoint
        assertEquals(Optional.of(HOUR), checkpoints.passed(MONTH, expiry, expiry.minusMinutes(10)));
    }

    @Test
    void shouldScheduleTheNextCheckpointUntilNoneIsLeft() {
        assertEquals(Optional.of(expiry.minusDays(1)), checkpoints.next(MONTH, expiry, expiry.minusDays(3)));
        assertEquals(Optional.of(expiry.minusHours(1)), checkpoints.next(MONTH, expiry, expiry.minusDays(1)));
        assertEquals(Optional.empty(), checkpoints.next(MONTH, expiry, expiry.minusMinutes(59)));
    }

    @Test
    void shouldPutARenewedExpiryPastEveryCheckpoint() {
        // renewing at the last checkpoint adds a whole period: the new expiry is further off than any
        // checkpoint that applies, so an auto-renewing proxy cannot renew twice in a row
        for (Duration period : List.of(HOUR, DAY, MONTH)) {
            LocalDateTime now = expiry.minus(checkpoints.applicable(period).get(checkpoints.applicable(period).size() - 1));
            assertEquals(Optional.empty(), checkpoints.passed(period, expiry.plus(period), now), period.toString());
        }
    }

    @Test
    void shouldRefuseANonPositiveCheckpoint() {
        assertThrows(IllegalArgumentException.class, () -> new ExpiryCheckpoints(List.of(Duration.ZERO)));
        assertThrows(IllegalArgumentException.class, () -> new ExpiryCheckpoints(List.of()));
    }
}
