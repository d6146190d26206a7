package com.proxyvault.agent.link;

import java.time.Duration;

/**
 * Capped exponential backoff between reconnect attempts: initial, 2x, 4x ... up to max, and back
 * to initial once a connection was accepted. Not thread-safe; the link uses it from one thread.
 */
final class ReconnectBackoff {

    private final Duration initial;
    private final Duration max;
    private Duration next;

    ReconnectBackoff(Duration initial, Duration max) {
        if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
            throw new IllegalArgumentException("Backoff needs 0 < initial <= max, got " + initial + " and " + max);
        }
        this.initial = initial;
        this.max = max;
        this.next = initial;
    }

    /** The delay before the next attempt; each call doubles the one after, up to max. */
    Duration nextDelay() {
        Duration delay = next;
        Duration doubled = next.multipliedBy(2);
        next = doubled.compareTo(max) > 0 ? max : doubled;
        return delay;
    }

    void reset() {
        next = initial;
    }
}
