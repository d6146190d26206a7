package com.proxyvault.webhooks.delivery;

import com.proxyvault.webhooks.WebhooksConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import com.proxyvault.platform.signals.CoalescingRunner;
import com.proxyvault.platform.signals.CommitSignals;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.List;

/**
 * Sends due deliveries: claims a batch, POSTs them in parallel, records every attempt, and goes on while
 * batches come back full. Runs the moment a delivery commits (the {@code deliveries} insert trigger
 * notifies {@value #CHANNEL}, {@link CommitSignals} wakes every replica) and every
 * {@code proxyvault.webhooks.dispatch-interval} for retries that came due. One run at a time per replica
 * ({@link CoalescingRunner}); claims are leases, so several replicas can dispatch side by side without
 * sending a delivery twice.
 */
@ApplicationScoped
public class DeliveryDispatcher {

    private static final Logger LOG = Logger.getLogger(DeliveryDispatcher.class);

    private final DeliveryStore store;
    private final DeliverySender sender;
    private final RetrySchedule schedule;
    private final int batchSize;
    /** Longer than one attempt can take (DNS + connect + request timeout), so a live claim never expires. */
    private final Duration lease;
    private final Counter succeeded;
    private final Counter failed;
    /** Set on shutdown so a last tick does not run into the already closed connection pool. */
    private volatile boolean stopping;
    private final CommitSignals signals;
    private final CoalescingRunner runner;

    /** Notified by the {@code deliveries} insert trigger (webhook-service migration V2). */
    static final String CHANNEL = "webhook_deliveries";

    public DeliveryDispatcher(DeliveryStore store, DeliverySender sender, WebhooksConfig config, MeterRegistry metrics,
                              CommitSignals signals) {
        this.signals = signals;
        this.runner = new CoalescingRunner("Webhook dispatch", this::dispatchAllDue);
        this.store = store;
        this.sender = sender;
        this.schedule = new RetrySchedule(config.retrySchedule());
        this.batchSize = config.dispatchBatchSize();
        this.lease = config.requestTimeout().multipliedBy(2).plus(Duration.ofMinutes(1));
        this.succeeded = Counter.builder("proxyvault.webhook.attempts").tag("outcome", "success")
                .description("Webhook delivery attempts").register(metrics);
        this.failed = Counter.builder("proxyvault.webhook.attempts").tag("outcome", "failure")
                .description("Webhook delivery attempts").register(metrics);
    }

    void listen(@Observes StartupEvent event) {
        signals.listen(CHANNEL, runner::signal);
    }

    // Quarkus's built-in scheduler does not tick faster than once a second: new deliveries do not wait
    // for it (commit signal); the tick is for retries whose time has come, and the safety net.
    @Scheduled(identity = "webhook-dispatcher", every = "${proxyvault.webhooks.dispatch-interval:1s}")
    void tick() {
        if (!stopping) {
            runner.signal();
        }
    }

    /** Batches until one comes back less than full, so a burst does not wait for ticks. */
    Uni<Void> dispatchAllDue() {
        if (stopping) {
            return Uni.createFrom().voidItem();
        }
        return dispatchBatch()
                .repeat().whilst(attempted -> attempted == batchSize && !stopping)
                .collect().last()
                .onFailure().invoke(e -> LOG.warn("Webhook dispatch run failed; due deliveries are retried on the next run", e))
                .onFailure().recoverWithNull()
                .replaceWithVoid();
    }

    void onShutdown(@Observes ShutdownEvent event) {
        stopping = true;
    }

    /** One claim-send-record round; returns how many attempts were made. */
    public Uni<Integer> dispatchBatch() {
        return store.claimDue(batchSize, lease).chain(due -> {
            if (due.isEmpty()) {
                return Uni.createFrom().item(0);
            }
            List<Uni<AttemptOutcome>> sends = due.stream().map(sender::send).toList();
            // send() never fails, so joining waits for every attempt; the outcomes are then recorded together
            // in one transaction (Hibernate-free, on the pool, so no session is shared between parallel sends).
            return Uni.join().all(sends).andFailFast()
                    .call(outcomes -> store.record(outcomes, schedule))
                    .invoke(this::count)
                    .map(List::size);
        });
    }

    private void count(List<AttemptOutcome> outcomes) {
        for (AttemptOutcome outcome : outcomes) {
            if (outcome.success()) {
                succeeded.increment();
            } else {
                failed.increment();
                LOG.debugf("Webhook delivery %d attempt %d failed: %s", outcome.delivery().id(),
                        outcome.delivery().attempt(), outcome.error());
            }
        }
    }
}
