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
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
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
 * <p>A new event's deliveries are claimed by the fan-out itself, in the statement that creates them
 * ({@link com.proxyvault.webhooks.events.EventFanout}, within the room {@link #fanoutClaim} gives), and
 * started here with {@link #startClaimed}: no claim of their own. The claim below takes the rest: rows the
 * fan-out left unclaimed (their endpoint was saturated, the replica full or stopping), retries that came
 * due, and the API's test, resend and replay rows. It runs the moment such a row commits (the
 * {@code deliveries} insert trigger notifies {@value #CHANNEL} for unclaimed pending rows,
 * {@link CommitSignals} wakes every replica), when a limit that held rows back has room again, and every
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
    /**
     * Claimed attempts that found their endpoint's or the replica's slots taken when they were to start (a
     * fan-out claim and a dispatcher claim computed their room at the same time): started as slots free, so
     * the limits hold exactly. Rare and short (an attempt ends within the request timeout, well inside the lease).
     */
    private final Queue<DueDelivery> held = new ConcurrentLinkedQueue<>();
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

    /**
     * What the fan-out may claim in the statement that creates new events' deliveries (so they need no
     * claim of their own): at most {@code room} deliveries in all, none to {@code excludedEndpoints}, and to
     * each other endpoint no more than its free slots ({@code perEndpoint} less its attempts {@code inFlight}:
     * one poll may bring many events for one endpoint), each leased for {@code leaseSeconds}.
     *
     * @param room              free slots of this replica (0 while stopping: the rows then wait for a claim)
     * @param excludedEndpoints webhook ids whose slots are full or were full since they were last down to half:
     *                          their older deliveries may be waiting for a claim, and a new one must not pass
     *                          them (the claim takes the oldest first)
     * @param inFlight          this replica's attempts in flight by endpoint
     * @param perEndpoint       the per-endpoint limit ({@code proxyvault.webhooks.endpoint-concurrency})
     * @param leaseSeconds      how far {@code next_attempt_at} is pushed, as by {@link DeliveryStore#claimDue}
     */
    public record FanoutClaim(int room, Long[] excludedEndpoints, EndpointsInFlight inFlight, int perEndpoint,
                              double leaseSeconds) {
    }

    /** The room a fan-out may claim now ({@link FanoutClaim}); a snapshot, which {@link #startClaimed} tolerates. */
    public FanoutClaim fanoutClaim() {
        int room = stopping ? 0 : Math.max(0, maxInFlight - inFlight.get());
        // Every endpoint that reached its limit is in saturatedEndpoints until it is down to half of it.
        return new FanoutClaim(room, saturatedEndpoints.toArray(new Long[0]), EndpointsInFlight.of(busyEndpoints()),
                perEndpoint, lease.toMillis() / 1000.0);
    }

    /** Attempts in flight now by webhook id, endpoints with none left out: a snapshot. */
    private Map<Long, Integer> busyEndpoints() {
        Map<Long, Integer> busy = new HashMap<>();
        inFlightByEndpoint.forEach((id, count) -> {
            int now = count.get();
            if (now > 0) {
                busy.put(id, now);
            }
        });
        return busy;
    }

    /** Starts attempts the fan-out claimed ({@link #fanoutClaim}); each is held if its slot was taken meanwhile. */
    public void startClaimed(List<DueDelivery> claimed) {
        claimed.forEach(this::start);
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
        return store.claimDue(room, perEndpoint, busyEndpoints(), lease).map(due -> {
            due.forEach(this::start);
            if (roomLimitedByReplica && due.size() == room) {
                replicaSaturated.set(true);
            }
            return due.size() == room;
        });
    }

    /** Sends a claimed delivery now, or holds it until a slot frees ({@link #held}). */
    private void start(DueDelivery delivery) {
        if (takeSlot(delivery.webhookId())) {
            send(delivery);
        } else {
            held.add(delivery);
        }
    }

    /** Takes one of the endpoint's and one of the replica's slots, or neither when either is full. */
    private boolean takeSlot(long webhookId) {
        AtomicInteger ofEndpoint = inFlightByEndpoint.computeIfAbsent(webhookId, id -> new AtomicInteger());
        int taken = ofEndpoint.incrementAndGet();
        if (taken > perEndpoint) {
            ofEndpoint.decrementAndGet();
            return false;
        }
        if (inFlight.incrementAndGet() > maxInFlight) {
            inFlight.decrementAndGet();
            ofEndpoint.decrementAndGet();
            return false;
        }
        if (taken >= perEndpoint) {
            saturatedEndpoints.add(webhookId);
        }
        return true;
    }

    /** Starts the held attempts that have a slot now; the others stay held. */
    private void startHeld() {
        for (int left = held.size(); left > 0; left--) {
            DueDelivery next = held.poll();
            if (next == null) {
                return;
            }
            if (takeSlot(next.webhookId())) {
                send(next);
            } else {
                held.add(next);
            }
        }
    }

    private void send(DueDelivery delivery) {
        sender.send(delivery)
                .invoke(this::count)
                .call(outcome -> store.record(outcome, schedule, disableAfter, slotWanted(delivery.webhookId())))
                .subscribe().with(outcome -> finished(delivery), failure -> {
                    // The lease runs out and the delivery is tried again: nothing is lost.
                    LOG.warnf("Could not record webhook delivery %d attempt %d: %s", delivery.id(), delivery.attempt(), failure);
                    finished(delivery);
                });
    }

    /**
     * Whether a claim may be waiting for the slot an attempt to {@code webhookId} holds: its endpoint or the
     * replica reached its limit, or claimed attempts are held. Its success is then recorded (and the slot
     * freed) without waiting to share the statement with others ({@link DeliveryStore#record}).
     */
    private boolean slotWanted(long webhookId) {
        return saturatedEndpoints.contains(webhookId) || replicaSaturated.get() || !held.isEmpty();
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
        if (!held.isEmpty()) {
            startHeld();
        }
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
