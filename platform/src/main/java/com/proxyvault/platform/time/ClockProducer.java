package com.proxyvault.platform.time;

import io.quarkus.arc.DefaultBean;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import java.time.Clock;
import java.time.LocalDateTime;
import java.time.temporal.ChronoUnit;

/**
 * The one source of "now" for every service: inject {@link Clock} (UTC) instead of calling
 * {@code LocalDateTime.now()}, so tests can replace it with an {@code @Alternative} fixed or stepping
 * clock. Timestamps in the API and in events are UTC, truncated to seconds ({@code 2026-05-25T12:00:00},
 * conventions.md): use {@link #utcNow(Clock)}.
 */
public class ClockProducer {

    @Produces
    @Singleton
    @DefaultBean
    Clock clock() {
        return Clock.systemUTC();
    }

    /** The clock's current UTC time truncated to whole seconds, the form every stored timestamp takes. */
    public static LocalDateTime utcNow(Clock clock) {
        return LocalDateTime.ofInstant(clock.instant(), java.time.ZoneOffset.UTC).truncatedTo(ChronoUnit.SECONDS);
    }
}
