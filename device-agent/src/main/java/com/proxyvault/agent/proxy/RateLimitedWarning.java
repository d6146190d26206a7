package com.proxyvault.agent.proxy;

import io.netty.util.concurrent.GlobalEventExecutor;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * A WARN about something that can happen thousands of times a second (a flood of connections reset at accept, a burst
 * of uploads answered 503): at most one line per {@link #INTERVAL}, saying how many happened since the line before.
 * The first occurrence after a quiet interval is written at once; occurrences within the interval are written by one
 * line at its end, so none goes unreported even when the burst stops. A line per occurrence would itself be the
 * denial of service (a 20,000-connection flood wrote 20,000 lines).
 *
 * <p>Thread-safe: {@link #happened()} is called from every event loop; its fast path is a volatile read. The line
 * at the end of an interval is written from Netty's {@link GlobalEventExecutor}, never from a proxy event loop that
 * may be shutting down.
 */
final class RateLimitedWarning {

    /** At most one line per this interval. */
    static final Duration INTERVAL = Duration.ofSeconds(5);

    private final Logger logger;
    /** The line to write for what happened since the last line (it reads and resets its own counters), or null. */
    private final Supplier<String> line;
    private final long intervalNanos;
    private volatile long nextLineAtNanos = System.nanoTime();
    private final AtomicBoolean lineScheduled = new AtomicBoolean();

    RateLimitedWarning(Logger logger, Duration interval, Supplier<String> line) {
        this.logger = logger;
        this.line = line;
        this.intervalNanos = interval.toNanos();
    }

    /** Something worth the warning happened (already counted by the caller): a line now, or at the interval's end. */
    void happened() {
        long wait = nextLineAtNanos - System.nanoTime();
        if (wait <= 0) {
            writeLine();
        } else if (lineScheduled.compareAndSet(false, true)) {
            GlobalEventExecutor.INSTANCE.schedule(() -> {
                lineScheduled.set(false);
                writeLine();
            }, wait, TimeUnit.NANOSECONDS);
        }
    }

    private synchronized void writeLine() {
        long now = System.nanoTime();
        if (nextLineAtNanos - now > 0) {
            happened(); // another thread wrote one just now: this occurrence goes into the next
            return;
        }
        String text = line.get();
        if (text != null) {
            logger.warn(text);
            nextLineAtNanos = now + intervalNanos;
        }
    }
}
