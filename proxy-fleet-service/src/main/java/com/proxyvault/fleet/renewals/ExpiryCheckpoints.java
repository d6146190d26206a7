package com.proxyvault.fleet.renewals;

import java.time.Duration;
import java.time.LocalDateTime;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Which expiry checkpoint a proxy is at (docs/money.md, "Renewals"). The checkpoints that apply to a proxy
 * are the configured ones shorter than its period (a 1-day proxy gets the 1 h one only: a 24 h notice would
 * fire the moment it is bought); a proxy whose period is no longer than any of them gets one at half its
 * period. Shorter than the period also means a renewal (which adds a whole period) lands past every
 * checkpoint, so an auto-renewing proxy renews once per period and never runs ahead.
 */
public final class ExpiryCheckpoints {

    private final List<Duration> configured;

    /** {@code configured}: leads before expiry, any order, each positive. */
    public ExpiryCheckpoints(List<Duration> configured) {
        if (configured.isEmpty() || configured.stream().anyMatch(d -> d.isNegative() || d.isZero())) {
            throw new IllegalArgumentException("Expiry checkpoints must be positive durations: " + configured);
        }
        this.configured = configured.stream().sorted(Comparator.reverseOrder()).distinct().toList();
    }

    /** The checkpoints of a proxy with this period, longest lead first. */
    public List<Duration> applicable(Duration period) {
        List<Duration> shorter = configured.stream().filter(lead -> lead.compareTo(period) < 0).toList();
        return shorter.isEmpty() ? List.of(period.dividedBy(2)) : shorter;
    }

    /**
     * The latest checkpoint passed at {@code now} for a proxy expiring at {@code expiresAt} (the one to act
     * on: earlier ones that were missed are not acted on too), or empty when none has passed yet.
     */
    public Optional<Duration> passed(Duration period, LocalDateTime expiresAt, LocalDateTime now) {
        Duration remaining = Duration.between(now, expiresAt);
        return applicable(period).stream().filter(lead -> remaining.compareTo(lead) <= 0)
                .min(Comparator.naturalOrder());
    }

    /** When the next checkpoint after {@code now} falls, or empty when none is left before expiry. */
    public Optional<LocalDateTime> next(Duration period, LocalDateTime expiresAt, LocalDateTime now) {
        return applicable(period).stream().map(expiresAt::minus).filter(at -> at.isAfter(now))
                .min(Comparator.naturalOrder());
    }

    /** The longest configured lead: no proxy expiring later than now plus this has a checkpoint due. */
    public Duration longest() {
        return configured.get(0);
    }
}
