package com.proxyvault.fleet.jobs;

import com.proxyvault.platform.vertx.VertxContexts;
import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * Runs the fleet's periodic background jobs (heartbeat batch, liveness sweep, provisioning, expiry, renewal
 * checkpoints, replica lease) each on its own Vert.x timer at its own {@link Phase} within the second, instead of
 * all in one tick of Quarkus' scheduler.
 *
 * <p>Why: Quarkus' simple scheduler checks its triggers once a second, so every {@code @Scheduled(every = "1s")}
 * job started in the same instant; their statements and PostgreSQL's work for them then ran together and a
 * reseller's command arriving in that instant waited behind all of them (bench/fleet "after-p99": command p99 30.8
 * ms against 12.7 ms for a minimal server; calls in the tick's 100 ms slower; docs/fleet.md "Commands with 10,000
 * agents"). With a phase each, at most one job's burst is in flight at any moment, and a sub-second period (the
 * heartbeat batch's) is possible at all.
 *
 * <p>Semantics kept from {@code @Scheduled(concurrentExecution = SKIP)}: a run that is still going when its next
 * tick comes makes that tick skip; a failed run is logged and the next tick runs again. Each run gets a fresh
 * duplicated Vert.x context ({@link VertxContexts}: Hibernate Reactive needs one of its own). Timers are cancelled
 * at shutdown, before the datasources close. Phases are offsets from the application's start, not from the wall
 * clock's second: what matters is that jobs are apart from each other.
 */
@Singleton
public class PhasedJobs {

    private static final Logger LOG = Logger.getLogger(PhasedJobs.class);

    /**
     * Each job's offset within the second (ms), after a first delay of {@link #START_DELAY}. The heartbeat batch
     * (every {@code heartbeat-flush-interval}, 250 ms: at 0, 250, 500 and 750) is the largest; each once-a-second
     * job sits halfway between two of its writes, and the replica lease (every 5 s, one row) apart from all.
     */
    public enum Phase {
        HEARTBEATS(0), LIVENESS(125), PROVISIONING(375), EXPIRY(625), RENEWALS(875), LEASE(940);

        private final long offsetMillis;

        Phase(long offsetMillis) {
            this.offsetMillis = offsetMillis;
        }

        public long offsetMillis() {
            return offsetMillis;
        }
    }

    /** As {@code @Scheduled(delayed = "1s")} before: the application has started before the first run. */
    static final Duration START_DELAY = Duration.ofSeconds(1);

    private final Vertx vertx;
    private final VertxContexts contexts;
    private final List<Long> timers = new CopyOnWriteArrayList<>();
    private volatile boolean stopped;

    public PhasedJobs(Vertx vertx, VertxContexts contexts) {
        this.vertx = vertx;
        this.contexts = contexts;
    }

    /**
     * Runs {@code job} every {@code period} (at least 1 ms), first at {@link #START_DELAY} + the phase's offset;
     * a tick that finds the previous run still going is skipped. {@code name} appears in the log when a run fails.
     */
    public void every(String name, Duration period, Phase phase, Supplier<Uni<?>> job) {
        long periodMillis = Math.max(1, period.toMillis());
        AtomicBoolean running = new AtomicBoolean();
        long timer = vertx.setPeriodic(START_DELAY.toMillis() + phase.offsetMillis(), periodMillis, id -> {
            if (stopped || !running.compareAndSet(false, true)) {
                return; // the previous run is still going: skip this tick (as concurrentExecution = SKIP)
            }
            contexts.onNewContext(() -> job.get().replaceWithVoid())
                    .subscribe().with(ok -> running.set(false), failure -> {
                        running.set(false);
                        LOG.warnf("%s failed (the next tick runs it again): %s", name, failure.toString());
                    });
        });
        timers.add(timer);
    }

    void stop(@Observes ShutdownEvent event) {
        stopped = true;
        timers.forEach(vertx::cancelTimer);
        timers.clear();
    }
}
