package com.proxyvault.webhooks.delivery;

import com.proxyvault.platform.signals.CoalescingRunner;
import com.proxyvault.platform.signals.CommitSignals;
import com.proxyvault.webhooks.WebhooksConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Sends due deliveries. Each run claims as many as there is room for and starts their attempts without
 * waiting for them; each attempt is recorded the moment it ends and frees its slot, which runs the
 * dispatcher again. Room is bounded twice (issue 9 item 3: a slow or dead endpoint never delays another's
 * deliveries): at most {@code proxyvault.webhooks.endpoint-concurrency} (8) attempts per endpoint and
 * {@code max-in-flight} (256) in all per replica, so an endpoint that times out after 15 s holds 8 slots
 * and everyone else's deliveries keep going.
 *
 * <p>Runs the moment a delivery commits (the {@code deliveries} insert trigger notifies {@value #CHANNEL},
 * {@link CommitSignals} wakes every replica), when an attempt ends, and every
 * {@code proxyvault.webhooks.dispatch-interval} for retries that came due. One run at a time per replica
 * ({@link CoalescingRunner}); claims are leases, so replicas dispatch side by side without sending a
 * delivery twice.
 */
@ApplicationScoped
public class DeliveryDispatcher {

    private static final Logger LOG = Logger.getLogger(DeliveryDispatcher.class);

    /** Notified by the {@code deliveries} insert trigger (webhook-service migration V2). */
    static final String CHANNEL = "webhook_deliveries";

    private final DeliveryStore store;
    private final DeliverySender sender;
    private final RetrySchedule schedule;
    private final int batchSize;
    private final int perEndpoint;
    private final int maxInFlight;
    private final Duration disableAfter;
    /** Longer than one attempt can take (DNS + connect + request timeout), so a live claim never expires. */
    private final Duration lease;
    private final Counter succeeded;
    private final Counter failed;
    private final Map<Long, AtomicInteger> inFlightByEndpoint = new ConcurrentHashMap<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    /**
     * Endpoints that reached their limit since they were last down to half of it: only they can have due
     * deliveries a claim held back, so only their freed slots run the dispatcher again.
     */
    private final Set<Long> saturatedEndpoints = ConcurrentHashMap.newKeySet();
    /** Set when the replica's own limit held a claim back; cleared when in-flight is down to half of it. */
    private final AtomicBoolean replicaSaturated = new AtomicBoolean();
    /** Set on shutdown so a last tick does not run into the already closed connection pool. */
    private volatile boolean stopping;
    private final CommitSignals signals;
    private final CoalescingRunner runner;

    public DeliveryDispatcher(DeliveryStore store, DeliverySender sender, WebhooksConfig config, MeterRegistry metrics,
                              CommitSignals signals) {
        this.signals = signals;
        this.runner = new CoalescingRunner("Webhook dispatch", this::dispatchAllDue);
        this.store = store;
        this.sender = sender;
        this.schedule = new RetrySchedule(config.retrySchedule(), config.retryJitter());
        this.batchSize = config.dispatchBatchSize();
        this.perEndpoint = config.endpointConcurrency();
        this.maxInFlight = config.maxInFlight();
        this.disableAfter = config.disableAfter();
        this.lease = config.requestTimeout().multipliedBy(2).plus(Duration.ofMinutes(1));
        this.succeeded = Counter.builder("proxyvault.webhook.attempts").tag("outcome", "success")
                .description("Webhook delivery attempts").register(metrics);
        this.failed = Counter.builder("proxyvault.webhook.attempts").tag("outcome", "failure")
                .description("Webhook delivery attempts").register(metrics);
        metrics.gauge("proxyvault.webhook.in.flight", inFlight);
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

    void onShutdown(@Observes ShutdownEvent event) {
        stopping = true;
    }

    /** Wakes the dispatcher (new deliveries made by the API: test, resend, replay). */
    public void wake() {
        if (!stopping) {
            runner.signal();
        }
    }

    /** Claims until the room is used up or a claim comes back less than full. */
    Uni<Void> dispatchAllDue() {
        if (stopping) {
            return Uni.createFrom().voidItem();
        }
        return claimAndStart()
                .repeat().whilst(full -> full && !stopping)
                .collect().last()
                .onFailure().invoke(e -> LOG.warn("Webhook dispatch run failed; due deliveries are retried on the next run", e))
                .onFailure().recoverWithNull()
                .replaceWithVoid();
    }

    /** One claim; starts every claimed attempt; true when the claim was full (there may be more). */
    private Uni<Boolean> claimAndStart() {
        int room = Math.min(batchSize, maxInFlight - inFlight.get());
        if (room <= 0) {
            replicaSaturated.set(true);
            return Uni.createFrom().item(false);
        }
        boolean roomLimitedByReplica = room < batchSize;
        Map<Long, Integer> busy = new HashMap<>();
        inFlightByEndpoint.forEach((id, count) -> {
            if (count.get() > 0) {
                busy.put(id, count.get());
            }
        });
        return store.claimDue(room, perEndpoint, busy, lease).map(due -> {
            due.forEach(this::start);
            if (roomLimitedByReplica && due.size() == room) {
                replicaSaturated.set(true);
            }
            return due.size() == room;
        });
    }

    private void start(DueDelivery delivery) {
        inFlight.incrementAndGet();
        if (inFlightByEndpoint.computeIfAbsent(delivery.webhookId(), id -> new AtomicInteger()).incrementAndGet() >= perEndpoint) {
            saturatedEndpoints.add(delivery.webhookId());
        }
        sender.send(delivery)
                .invoke(this::count)
                .call(outcome -> store.record(outcome, schedule, disableAfter))
                .subscribe().with(outcome -> finished(delivery), failure -> {
                    // The lease runs out and the delivery is tried again: nothing is lost.
                    LOG.warnf("Could not record webhook delivery %d attempt %d: %s", delivery.id(), delivery.attempt(), failure);
                    finished(delivery);
                });
    }

    /**
     * Frees the attempt's slots. The dispatcher runs again only when a limit held deliveries back and has
     * room again: the endpoint reached its limit and is down to half its slots, or the replica's own limit
     * held a claim back and in-flight is down to half of all. Not after every attempt: a claim per freed
     * slot would scan the due rows for one delivery at a time under load, and when no limit was reached a
     * claim after the attempt finds nothing the previous claims left (bench/pay measured that empty claim as
     * one of webhook-service's three transactions per event). New deliveries run it on their commit, retries
     * on the tick.
     */
    private void finished(DueDelivery delivery) {
        int total = inFlight.decrementAndGet();
        // Counters stay in the map (one per endpoint that ever had an attempt): removing them races with start().
        int ofEndpoint = inFlightByEndpoint.get(delivery.webhookId()).decrementAndGet();
        boolean endpointFreed = ofEndpoint <= perEndpoint / 2 && saturatedEndpoints.remove(delivery.webhookId());
        boolean replicaFreed = total <= maxInFlight / 2 && replicaSaturated.compareAndSet(true, false);
        if (!stopping && (endpointFreed || replicaFreed)) {
            runner.signal();
        }
    }

    /** Attempts in flight now (for tests and the gauge). */
    public int inFlight() {
        return inFlight.get();
    }

    private void count(AttemptOutcome outcome) {
        if (outcome.success()) {
            succeeded.increment();
        } else {
            failed.increment();
            LOG.debugf("Webhook delivery %d attempt %d failed: %s", outcome.delivery().id(),
                    outcome.delivery().attempt(), outcome.error());
        }
    }
}
