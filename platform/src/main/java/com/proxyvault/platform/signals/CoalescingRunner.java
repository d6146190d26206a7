package com.proxyvault.platform.signals;

import io.smallrye.mutiny.Uni;
import org.jboss.logging.Logger;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * Runs one piece of catch-up work ("publish what is waiting", "send what is due") whenever it is
 * signalled, never twice at the same time, and never misses a signal: a signal that arrives while the
 * work runs makes it run once more right after. Many signals during one run cost one extra run, not
 * many. The work must pick up everything that is waiting (it reads its state from the database), which
 * is what makes coalescing safe. {@link #stop()} ends it for good (a service shutting down: the work's
 * resources are about to close).
 */
public final class CoalescingRunner {

    private static final Logger LOG = Logger.getLogger(CoalescingRunner.class);

    private final String name;
    private final Supplier<Uni<?>> work;
    private final AtomicBoolean running = new AtomicBoolean();
    private volatile boolean again;
    private volatile boolean stopped;
    private final java.util.concurrent.CompletableFuture<Void> idleAfterStop = new java.util.concurrent.CompletableFuture<>();

    public CoalescingRunner(String name, Supplier<Uni<?>> work) {
        this.name = name;
        this.work = work;
    }

    /** Asks for a run; returns at once. Safe from any thread. */
    public void signal() {
        if (stopped) {
            return;
        }
        again = true;
        if (running.compareAndSet(false, true)) {
            run();
        }
    }

    /**
     * No run starts after this; a signal is ignored. The returned stage completes once no run is in
     * flight (at once if none is), so the caller can close what the work uses without failing it.
     */
    public java.util.concurrent.CompletionStage<Void> stop() {
        stopped = true;
        // take the running flag for good: either no run was in flight, or finished() completes the stage
        if (running.compareAndSet(false, true)) {
            idleAfterStop.complete(null);
        }
        return idleAfterStop;
    }

    private void run() {
        again = false;
        Uni<?> round;
        try {
            round = work.get();
        } catch (RuntimeException e) {
            round = Uni.createFrom().failure(e);
        }
        round.subscribe().with(ignored -> finished(), failure -> {
            LOG.warnf("%s failed (the next signal or the sweep retries): %s", name, failure.toString());
            finished();
        });
    }

    private void finished() {
        running.set(false);
        // after stop(), whoever takes the flag completes the stage and keeps the flag: nothing runs again
        if (stopped) {
            if (running.compareAndSet(false, true)) {
                idleAfterStop.complete(null);
            }
            return;
        }
        if (again && running.compareAndSet(false, true)) {
            if (stopped) {
                idleAfterStop.complete(null);
                return;
            }
            run();
        }
    }
}
