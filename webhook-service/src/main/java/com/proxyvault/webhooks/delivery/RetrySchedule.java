package com.proxyvault.webhooks.delivery;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How long to wait after a failed attempt before the next one ({@code proxyvault.webhooks.retry-schedule},
 * by default 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h after an immediate first attempt: issue 9 item 3).
 * After the last wait's attempt fails too, the delivery is given up as failed: 1 + (number of waits)
 * attempts in all. {@link #jittered} spreads retries by ±{@code jitter} so that many deliveries failed by
 * one outage do not all come back in the same second.
 *
 * @param jitter fraction 0..1 (0.2 = each wait is between 80 % and 120 % of the schedule's)
 */
public record RetrySchedule(List<Duration> waits, double jitter) {

    public RetrySchedule {
        waits = List.copyOf(waits);
        if (jitter < 0 || jitter > 1) {
            throw new IllegalArgumentException("retry jitter must be between 0 and 1");
        }
    }

    /** A schedule without jitter. */
    public RetrySchedule(List<Duration> waits) {
        this(waits, 0);
    }

    /** The wait after failed attempt number {@code attempt} (1-based), or empty when no retry is left. */
    public Optional<Duration> waitAfterFailedAttempt(int attempt) {
        return attempt >= 1 && attempt <= waits.size() ? Optional.of(waits.get(attempt - 1)) : Optional.empty();
    }

    /**
     * The wait after failed attempt {@code attempt} with jitter applied, at least {@code atLeast} (a
     * receiver's {@code Retry-After}, may be null); empty when no retry is left.
     */
    public Optional<Duration> jittered(int attempt, Duration atLeast) {
        return waitAfterFailedAttempt(attempt).map(wait -> {
            double factor = jitter == 0 ? 1 : 1 + ThreadLocalRandom.current().nextDouble(-jitter, jitter);
            Duration spread = Duration.ofMillis(Math.round(wait.toMillis() * factor));
            return atLeast != null && atLeast.compareTo(spread) > 0 ? atLeast : spread;
        });
    }

    public int maxAttempts() {
        return waits.size() + 1;
    }
}
