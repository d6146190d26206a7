package com.proxyvault.webhooks.delivery;

import com.proxyvault.platform.signals.CommitSignals;
import com.proxyvault.webhooks.WebhooksConfig;
import com.proxyvault.webhooks.endpoints.WebhookUrlPolicy;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import jakarta.enterprise.inject.Vetoed;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The dispatcher's slots without a database or a network: attempts the fan-out claimed are started by
 * {@link DeliveryDispatcher#startClaimed}, and the limits (per endpoint, per replica) hold even when those
 * claims and the dispatcher's own were computed from the same snapshot. The sender here only records what it
 * was asked to send and finishes each attempt when the test says.
 */
class DeliveryDispatcherTest {

    private static final int PER_ENDPOINT = 2;
    private static final int MAX_IN_FLIGHT = 3;

    private Vertx vertx;
    private ControlledSender sender;
    private DeliveryDispatcher dispatcher;

    @BeforeEach
    void setUp() {
        vertx = Vertx.vertx();
        WebhooksConfig config = new Config();
        sender = new ControlledSender(vertx, config);
        DeliveryStore store = new NothingDue(config);
        CommitSignals signals = new CommitSignals(null, "postgresql://127.0.0.1/unused", Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty());
        dispatcher = new DeliveryDispatcher(store, sender, config, new SimpleMeterRegistry(), signals);
    }

    @AfterEach
    void tearDown() {
        vertx.closeAndAwait();
    }

    @Test
    void shouldHoldAClaimedAttemptUntilItsEndpointHasAFreeSlot() {
        // Five claimed deliveries of one endpoint reach the dispatcher at once (a fan-out's claim beside the
        // dispatcher's): two are sent, three wait, and each freed slot sends the next one.
        dispatcher.startClaimed(List.of(due(1, 7), due(2, 7), due(3, 7), due(4, 7), due(5, 7)));
        assertEquals(List.of(1L, 2L), sender.sentIds());
        assertEquals(2, dispatcher.inFlight());

        sender.finish(1);
        assertEquals(List.of(1L, 2L, 3L), sender.sentIds());
        assertEquals(2, dispatcher.inFlight());

        sender.finish(2);
        sender.finish(3);
        sender.finish(4);
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L), sender.sentIds());
        sender.finish(5);
        assertEquals(0, dispatcher.inFlight());
        assertEquals(PER_ENDPOINT, sender.mostAtOnce(7));
    }

    @Test
    void shouldHoldAClaimedAttemptWhileTheReplicaIsFull() {
        dispatcher.startClaimed(List.of(due(1, 10), due(2, 11), due(3, 12), due(4, 13)));
        assertEquals(List.of(1L, 2L, 3L), sender.sentIds(), "max-in-flight 3: the fourth waits");

        sender.finish(2);
        assertEquals(List.of(1L, 2L, 3L, 4L), sender.sentIds());
        assertEquals(MAX_IN_FLIGHT, dispatcher.inFlight());
    }

    @Test
    void shouldKeepTheFanOutFromClaimingForASaturatedEndpointUntilItIsDownToHalf() {
        assertEquals(MAX_IN_FLIGHT, dispatcher.fanoutClaim().room());
        assertEquals(0, dispatcher.fanoutClaim().excludedEndpoints().length);

        dispatcher.startClaimed(List.of(due(1, 7), due(2, 7)));
        DeliveryDispatcher.FanoutClaim full = dispatcher.fanoutClaim();
        assertArrayEquals(new Long[] {7L}, full.excludedEndpoints(), "older deliveries of a full endpoint go first");
        assertEquals(1, full.room());
        assertEquals(Duration.ofSeconds(30).multipliedBy(2).plusMinutes(1).toMillis() / 1000.0, full.leaseSeconds());

        sender.finish(1);
        assertEquals(0, dispatcher.fanoutClaim().excludedEndpoints().length, "down to half (1 of 2): claimable again");
    }

    @Test
    void shouldClaimNothingAtTheFanOutWhileStopping() {
        dispatcher.onShutdown(null);
        assertEquals(0, dispatcher.fanoutClaim().room());
    }

    private static DueDelivery due(long id, long webhookId) {
        return new DueDelivery(id, webhookId, 1, "order.paid", UUID.randomUUID().toString(), "{}",
                "http://127.0.0.1:1/hook", "whsec_c2VjcmV0", null);
    }

    /** A store with nothing due for the dispatcher's own claim, that records every outcome at once. */
    @Vetoed
    private static final class NothingDue extends DeliveryStore {

        NothingDue(WebhooksConfig config) {
            super(null, null, null, config);
        }

        @Override
        public Uni<List<DueDelivery>> claimDue(int limit, int perEndpoint, Map<Long, Integer> inFlight, Duration lease) {
            return Uni.createFrom().item(List.of());
        }

        @Override
        public Uni<Void> record(AttemptOutcome outcome, RetrySchedule schedule, Duration disableAfter, boolean slotWanted) {
            return Uni.createFrom().voidItem();
        }
    }

    /** Records every send and completes it (with a 200) only when the test calls {@link #finish}. */
    @Vetoed
    private static final class ControlledSender extends DeliverySender {

        private final List<DueDelivery> sent = new ArrayList<>();
        private final List<CompletableFuture<AttemptOutcome>> pending = new ArrayList<>();
        private final List<Long> open = new ArrayList<>();
        private final Map<Long, Integer> mostAtOnce = new HashMap<>();

        ControlledSender(Vertx vertx, WebhooksConfig config) {
            super(vertx, new WebhookUrlPolicy(Set.of(), host -> List.of()), config, Clock.systemUTC());
        }

        @Override
        public Uni<AttemptOutcome> send(DueDelivery delivery) {
            sent.add(delivery);
            open.add(delivery.webhookId());
            long atOnce = open.stream().filter(id -> id == delivery.webhookId()).count();
            mostAtOnce.merge(delivery.webhookId(), (int) atOnce, Math::max);
            CompletableFuture<AttemptOutcome> answer = new CompletableFuture<>();
            pending.add(answer);
            return Uni.createFrom().completionStage(answer);
        }

        List<Long> sentIds() {
            return sent.stream().map(DueDelivery::id).toList();
        }

        int mostAtOnce(long webhookId) {
            return mostAtOnce.getOrDefault(webhookId, 0);
        }

        /** Ends the attempt of delivery {@code id} with a 200 (the dispatcher then frees its slots). */
        void finish(long id) {
            for (int i = 0; i < sent.size(); i++) {
                DueDelivery delivery = sent.get(i);
                if (delivery.id() == id) {
                    open.remove(Long.valueOf(delivery.webhookId()));
                    pending.get(i).complete(new AttemptOutcome(delivery, true, 200, null,
                            LocalDateTime.now(Clock.systemUTC()), 1, "", null));
                    return;
                }
            }
            throw new AssertionError("delivery " + id + " was not sent: " + Arrays.toString(sentIds().toArray()));
        }
    }

    /** endpoint-concurrency 2, max-in-flight 3, request timeout 30 s; the rest as in production. */
    private static final class Config implements WebhooksConfig {
        @Override
        public Optional<Set<String>> allowedInsecureHosts() {
            return Optional.empty();
        }

        @Override
        public String dispatchInterval() {
            return "1s";
        }

        @Override
        public int dispatchBatchSize() {
            return 50;
        }

        @Override
        public Duration requestTimeout() {
            return Duration.ofSeconds(30);
        }

        @Override
        public List<Duration> retrySchedule() {
            return List.of(Duration.ofSeconds(5));
        }

        @Override
        public double retryJitter() {
            return 0;
        }

        @Override
        public int endpointConcurrency() {
            return PER_ENDPOINT;
        }

        @Override
        public int maxInFlight() {
            return MAX_IN_FLIGHT;
        }

        @Override
        public Duration successLinger() {
            return Duration.ZERO;
        }

        @Override
        public Duration disableAfter() {
            return Duration.ofDays(5);
        }

        @Override
        public Duration rotationOverlap() {
            return Duration.ofHours(24);
        }

        @Override
        public int maxEndpointsPerReseller() {
            return 20;
        }
    }
}
