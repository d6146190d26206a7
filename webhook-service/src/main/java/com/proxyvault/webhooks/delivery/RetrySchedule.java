package com.proxyvault.webhooks.delivery;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * How long to wait after a failed attempt before the next one ({@code proxyvault.webhooks.retry-schedule},
 * by default 5 s, 30 s, 2 min, 10 min, 1 h). After the last wait's attempt fails too, the delivery is
 * given up as failed: 1 + (number of waits) attempts in all.
 */
public record RetrySchedule(List<Duration> waits) {

    public RetrySchedule {
        waits = List.copyOf(waits);
    }

    /** The wait after failed attempt number {@code attempt} (1-based), or empty when no retry is left. */
    public Optional<Duration> waitAfterFailedAttempt(int attempt) {
        return attempt >= 1 && attempt <= waits.size() ? Optional.of(waits.get(attempt - 1)) : Optional.empty();
    }

    public int maxAttempts() {
        return waits.size() + 1;
    }
}
