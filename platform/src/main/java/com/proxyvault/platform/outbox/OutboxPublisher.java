package com.proxyvault.platform.outbox;

import com.proxyvault.platform.signals.CoalescingRunner;
import com.proxyvault.platform.signals.CommitSignals;
import io.quarkus.arc.properties.IfBuildProperty;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import io.quarkus.scheduler.ScheduledExecution;
import jakarta.inject.Singleton;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.Optional;

/**
 * Publishes a service's outbox to Kafka right after each commit that wrote to it: the insert trigger on
 * {@code outbox_events} notifies channel {@value #CHANNEL}, {@link CommitSignals} wakes this publisher,
 * and {@link OutboxRelay#drain()} sends everything waiting. A sweep every
 * {@code proxyvault.outbox.sweep-interval} (default 1 s) does the same as the safety net for what a
 * notification missed (a restart, a lost LISTEN connection, Kafka down). Published rows are pruned after
 * {@code proxyvault.outbox.retention} (default 7 days).
 *
 * <p>A service that produces events turns this on at build time with {@code proxyvault.outbox.enabled=true}
 * and configures the {@code outbox} channel (smallrye-kafka, {@code acks=all},
 * {@code enable.idempotence=true}, {@code delivery.timeout.ms} below the claim lease).
 */
@ApplicationScoped
@IfBuildProperty(name = "proxyvault.outbox.enabled", stringValue = "true")
public class OutboxPublisher {

    /** The notification channel the {@code outbox_events} insert trigger uses (migration of each producer). */
    public static final String CHANNEL = "outbox_events";
    private static final Logger LOG = Logger.getLogger(OutboxPublisher.class);
    private static final int PRUNE_BATCH = 5_000;

    private final OutboxRelay relay;
    private final CommitSignals signals;
    private final Duration retention;
    private final CoalescingRunner runner;
    private volatile boolean started;

    public OutboxPublisher(Pool pool,
                           @Channel("outbox") @OnOverflow(OnOverflow.Strategy.UNBOUNDED_BUFFER) MutinyEmitter<String> emitter,
                           CommitSignals signals,
                           @ConfigProperty(name = "proxyvault.topic-prefix") Optional<String> topicPrefix,
                           @ConfigProperty(name = "proxyvault.outbox.claim-size", defaultValue = "200") int claimSize,
                           @ConfigProperty(name = "proxyvault.outbox.lease", defaultValue = "60s") Duration lease,
                           @ConfigProperty(name = "proxyvault.outbox.retention", defaultValue = "7d") Duration retention,
                           @ConfigProperty(name = "proxyvault.outbox.max-refusals", defaultValue = "10") int maxRefusals) {
        this.relay = new OutboxRelay(pool, emitter, topicPrefix.orElse(""), claimSize, lease, maxRefusals);
        this.signals = signals;
        this.retention = retention;
        this.runner = new CoalescingRunner("Outbox publishing", relay::drain);
    }

    /** After messaging has wired its channels (the emitter cannot send before): listen, then catch up. */
    void onStart(@Observes @Priority(Interceptor.Priority.PLATFORM_AFTER) StartupEvent event) {
        started = true;
        signals.listen(CHANNEL, runner::signal);
        runner.signal();
    }

    /**
     * On shutdown, before the Pool closes: no round starts any more (the sweep's and the notifications'
     * signals are ignored; before this, each sweep after the Pool closed logged "Pool closed" until the JVM
     * exited) and the round in flight finishes, marks included. Waits at most {@link #STOP_WAIT}; a row
     * left unmarked is only sent again once its lease runs out (consumers deduplicate).
     */
    void onStop(@Observes ShutdownEvent event) {
        started = false;
        try {
            runner.stop().toCompletableFuture().get(STOP_WAIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.infof("Outbox publisher stopped without marking its last round (sent again after a restart): %s", e.toString());
        }
    }

    private static final Duration STOP_WAIT = Duration.ofSeconds(5);

    /** Wakes the publisher; what is waiting in the outbox goes out. */
    public void signal() {
        if (started) {
            runner.signal();
        }
    }

    @Scheduled(identity = "outbox-sweep", every = "${proxyvault.outbox.sweep-interval:1s}", delayed = "1s",
            skipExecutionIf = UntilStarted.class)
    void sweep() {
        signal();
    }

    /** Deletes published rows past the retention, in batches until none is left (no hourly ceiling). */
    @Scheduled(identity = "outbox-prune", every = "1m", delayed = "1m",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP, skipExecutionIf = UntilStarted.class)
    Uni<Void> prune() {
        return relay.prunePublished(retention, PRUNE_BATCH)
                .repeat().whilst(deleted -> deleted == PRUNE_BATCH)
                .collect().with(java.util.stream.Collectors.summingInt(Integer::intValue))
                .invoke(n -> {
                    if (n > 0) {
                        LOG.debugf("Pruned %d published outbox events", n);
                    }
                })
                .onFailure().invoke(e -> LOG.warnf("Pruning the outbox failed (next minute retries): %s", e.toString()))
                .onFailure().recoverWithNull()
                .replaceWithVoid();
    }

    /**
     * The scheduler starts ticking before messaging has wired its channels, and this bean (whose
     * constructor takes the {@code outbox} emitter) cannot be created until then: skip ticks until the
     * application has started.
     */
    @Singleton
    @IfBuildProperty(name = "proxyvault.outbox.enabled", stringValue = "true")
    public static class UntilStarted implements Scheduled.SkipPredicate {
        private volatile boolean started;

        void onStart(@Observes @Priority(Interceptor.Priority.PLATFORM_AFTER) StartupEvent event) {
            started = true;
        }

        @Override
        public boolean test(ScheduledExecution execution) {
            return !started;
        }
    }
}
