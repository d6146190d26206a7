package com.proxyvault.platform.time;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * Test helper (platform test-jar): the real time plus an offset a test moves forward (never sleeps) and puts back with
 * {@link #reset()} after itself; UTC only, as every service's injected {@link Clock} is ({@link ClockProducer}). Each
 * service's tests make it their {@code Clock} bean with a subclass of their own that only adds the CDI annotations
 * ({@code @Alternative @Priority(1) @Singleton}): beans are discovered in the service's own test classes, not in this jar.
 */
public class OffsetClock extends Clock {

    private volatile Duration offset = Duration.ZERO;

    /** Moves the clock forward by {@code by} (negative: back). */
    public void advance(Duration by) {
        offset = offset.plus(by);
    }

    /** Back to the real time. */
    public void reset() {
        offset = Duration.ZERO;
    }

    @Override
    public Instant instant() {
        return Instant.now().plus(offset);
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        throw new UnsupportedOperationException("UTC only");
    }
}
