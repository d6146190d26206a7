package com.proxyvault.webhooks.events;

import com.proxyvault.contracts.events.EventEnvelope;
import com.proxyvault.contracts.events.EventJson;
import com.proxyvault.contracts.events.EventTypes;
import com.proxyvault.contracts.events.OrderPaid;
import com.proxyvault.contracts.events.ProxyProvisioned;
import com.proxyvault.contracts.events.ProxyProvisioning;
import com.proxyvault.webhooks.WebhookFixtures;
import com.proxyvault.webhooks.delivery.TestReceiver;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.agroal.api.AgroalDataSource;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static com.proxyvault.webhooks.WebhookFixtures.newReseller;
import static com.proxyvault.webhooks.WebhookFixtures.orderPaid;
import static com.proxyvault.webhooks.WebhookFixtures.proxyProvisioned;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fan-out of a whole Kafka poll in one statement (docs/events.md "Batches", docs/webhooks.md "Delivery"):
 * every guarantee of the per-event fan-out, for a poll. The polls here are handed to the listener as Kafka
 * would hand them over (records of several topics, in order), so each test knows exactly what one poll held;
 * the last test goes through real Kafka. Real PostgreSQL and an HTTP receiver on 127.0.0.1. One statement is
 * one transaction, so the new inbox rows of one poll share one {@code processed_at} (the transaction's start);
 * events fanned out one by one each have their own.
 */
@QuarkusTest
class EventFanoutBatchTest {

    private static final Duration PATIENCE = Duration.ofSeconds(90);

    @ConfigProperty(name = "proxyvault.topic-prefix")
    String topicPrefix;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @ConfigProperty(name = "proxyvault.webhooks.endpoint-concurrency")
    int perEndpoint;

    @Inject
    ObjectMapper mapper;

    @Inject
    AgroalDataSource dataSource;

    @Inject
    EventFanoutListener listener;

    @Inject
    MeterRegistry metrics;

    @Test
    void shouldFanOutAPollOfSeveralResellersInOneStatementOncePerMatchingEndpoint() throws Exception {
        long first = newReseller();
        long second = newReseller();
        try (TestReceiver receiver = TestReceiver.answering200()) {
            long everything = register(first, receiver.url("/first/all"), "*");
            long paidOnly = register(first, receiver.url("/first/paid"), "order.paid");
            long provisionedOnly = register(second, receiver.url("/second/provisioned"), "proxy.provisioned");
            long disabled = register(second, receiver.url("/second/disabled"), "*");
            update("update webhooks set disabled_at = (now() at time zone 'utc'), disabled_reason = 'test' where id = ?", disabled);

            EventEnvelope<OrderPaid> before = orderPaid(first);
            consumed(listener.onRecords(List.of(record(before))));
            assertEquals(2, count("select count(*) from deliveries where event_id = ?", before.id()));

            EventEnvelope<OrderPaid> firstPaid = orderPaid(first);
            EventEnvelope<OrderPaid> secondPaid = orderPaid(second);
            EventEnvelope<ProxyProvisioned> firstProvisioned = proxyProvisioned(first);
            EventEnvelope<ProxyProvisioned> secondProvisioned = proxyProvisioned(second);
            String unreadable = "not an event " + UUID.randomUUID();
            double fallbacks = fallbacks();
            consumed(listener.onRecords(List.of(
                    record(firstPaid),
                    record(secondPaid),
                    new ConsumerRecord<>(topicPrefix + EventTypes.ORDER_PAID, 0, 0L, Long.toString(first), unreadable),
                    record(firstProvisioned),
                    record(EventEnvelope.of(EventTypes.PROXY_PROVISIONING, first, new ProxyProvisioning(7, 42, "LAX"))),
                    record(secondProvisioned),
                    record(firstPaid), // a redelivery inside the same poll
                    record(before)))); // fanned out by an earlier poll

            // each event once per endpoint of its reseller taking its type; a disabled one's kept as skipped
            assertEquals(List.of(everything, paidOnly), deliveredTo(firstPaid.id()));
            assertEquals(List.of(disabled), deliveredTo(secondPaid.id()));
            assertEquals(List.of(everything), deliveredTo(firstProvisioned.id()));
            assertEquals(List.of(provisionedOnly, disabled), deliveredTo(secondProvisioned.id()));
            assertEquals(2, count("select count(*) from deliveries where event_id = ?", before.id()), "nothing new for it");
            assertEquals(0, count("select count(*) from deliveries d join webhooks w on w.id = d.webhook_id "
                    + "where d.reseller_id <> w.reseller_id and d.reseller_id = ?", first));
            assertEquals(0, count("select count(*) from deliveries d join webhooks w on w.id = d.webhook_id "
                    + "where d.reseller_id <> w.reseller_id and d.reseller_id = ?", second));
            assertEquals(2, count("select count(*) from deliveries where webhook_id = ? and status = 'skipped' and attempts = 0",
                    disabled));

            // one statement: the poll's new inbox rows were written by one transaction
            assertEquals(1, count("select count(distinct processed_at) from processed_events where event_id in (?, ?, ?, ?)",
                    firstPaid.id(), secondPaid.id(), firstProvisioned.id(), secondProvisioned.id()));
            assertEquals(4, count("select count(*) from processed_events where event_id in (?, ?, ?, ?)",
                    firstPaid.id(), secondPaid.id(), firstProvisioned.id(), secondProvisioned.id()));
            assertEquals(fallbacks, fallbacks(), "no fallback");
            assertEquals(1, count("select count(*) from dead_letter_events where handler = ? and payload = ? "
                    + "and event_id is null and attempts = 0", EventFanout.HANDLER + ":" + EventTypes.ORDER_PAID, unreadable));

            // claimed by the statement (one attempt each) and sent once
            await().atMost(PATIENCE).until(() -> count("select count(*) from deliveries where event_id in (?, ?, ?, ?) "
                            + "and status = 'delivered'", firstPaid.id(), secondPaid.id(), firstProvisioned.id(), secondProvisioned.id()) == 4);
            assertEquals(0, count("select count(*) from deliveries where event_id in (?, ?, ?, ?) and status <> 'skipped' "
                    + "and attempts <> 1", firstPaid.id(), secondPaid.id(), firstProvisioned.id(), secondProvisioned.id()));
            assertEquals(List.of("/first/all", "/first/paid"), paths(receiver, firstPaid.id()));
            assertEquals(List.of(), paths(receiver, secondPaid.id()));
            assertEquals(List.of("/first/all"), paths(receiver, firstProvisioned.id()));
            assertEquals(List.of("/second/provisioned"), paths(receiver, secondProvisioned.id()));
            await().atMost(PATIENCE).until(() -> count(
                    "select count(*) from deliveries where event_id = ? and status = 'delivered'", before.id()) == 2);
            assertEquals(2, receiver.receivedFor(before.id()).size(), "the earlier poll's two, nothing again");
        }
    }

    @Test
    void shouldClaimNoMoreThanAnEndpointsFreeSlotsFromOnePollAndLeaveTheRestToTheDispatcher() throws Exception {
        // One poll with many events for one endpoint: the statement claims the endpoint's free slots and leaves the
        // rest pending. Their insert wakes the dispatcher, whose claim may run before the fan-out has started its
        // attempts (it then sees the endpoint idle and claims up to its limit too; those wait in the replica for a
        // slot): so at most twice the limit is claimed, never the whole poll, and never more than the limit is sent
        // at once.
        int leftOver = 20;
        long reseller = newReseller();
        try (TestReceiver hanging = TestReceiver.hanging()) {
            long webhook = register(reseller, hanging.url("/slow"), "order.paid");
            List<ConsumerRecord<String, String>> poll = new ArrayList<>();
            List<UUID> events = new ArrayList<>();
            for (int i = 0; i < perEndpoint + leftOver; i++) {
                EventEnvelope<OrderPaid> event = orderPaid(reseller);
                events.add(event.id());
                poll.add(record(event));
            }
            consumed(listener.onRecords(poll));

            await().atMost(PATIENCE).until(() -> hanging.received().size() == perEndpoint);
            long claimed = count("select count(*) from deliveries where webhook_id = ? and attempts = 1", webhook);
            assertTrue(claimed >= perEndpoint && claimed <= 2L * perEndpoint, "claimed " + claimed);
            assertEquals(perEndpoint + leftOver - claimed, count("select count(*) from deliveries where webhook_id = ? "
                    + "and attempts = 0 and status = 'pending'", webhook), "the rest left pending for the dispatcher's claim");
            assertEquals(perEndpoint, hanging.received().size(), "no more than endpoint-concurrency attempts in flight");

            hanging.release();
            await().atMost(PATIENCE).until(() -> count("select count(*) from deliveries where webhook_id = ? "
                    + "and status = 'delivered'", webhook) == perEndpoint + leftOver);
            for (UUID event : events) {
                assertEquals(1, hanging.receivedFor(event).size(), "sent once: " + event);
            }
            assertEquals(0, count("select count(*) from deliveries where webhook_id = ? and attempts <> 1", webhook));
        }
    }

    @Test
    void shouldFanOutEachEventOfAFailingPollOnItsOwnAndParkOnlyTheOneThatFails() throws Exception {
        long reseller = newReseller();
        try (TestReceiver receiver = TestReceiver.answering200()) {
            register(reseller, receiver.url("/hook"), "*");
            EventEnvelope<OrderPaid> paid = orderPaid(reseller);
            EventEnvelope<ProxyProvisioned> provisioned = proxyProvisioned(reseller);
            EventEnvelope<OrderPaid> broken = orderPaid(reseller);
            // readable, but its data is no object: the poll's statement cannot take it, and neither can the event's own
            ObjectNode brokenJson = (ObjectNode) mapper.readTree(EventJson.write(mapper, broken));
            brokenJson.put("data", "not an object");
            double paidFallbacks = fallbacks(EventTypes.ORDER_PAID);
            double provisionedFallbacks = fallbacks(EventTypes.PROXY_PROVISIONED);

            consumed(listener.onRecords(List.of(record(paid),
                    new ConsumerRecord<>(topicPrefix + EventTypes.ORDER_PAID, 0, 0L, Long.toString(reseller),
                            mapper.writeValueAsString(brokenJson)),
                    record(provisioned))));

            assertEquals(paidFallbacks + 1, fallbacks(EventTypes.ORDER_PAID), "counted for each handler of the poll");
            assertEquals(provisionedFallbacks + 1, fallbacks(EventTypes.PROXY_PROVISIONED));
            assertEquals(2, count("select count(distinct processed_at) from processed_events where event_id in (?, ?)",
                    paid.id(), provisioned.id()), "one statement each");
            assertEquals(1, count("select count(*) from dead_letter_events where event_id = ? and handler = ? "
                            + "and attempts > 1 and error like '%has no data object%'", broken.id(),
                    EventFanout.HANDLER + ":" + EventTypes.ORDER_PAID), "retried, then parked on its own");
            assertEquals(0, count("select count(*) from deliveries where event_id = ?", broken.id()));
            await().atMost(PATIENCE).until(() -> receiver.receivedFor(paid.id()).size() == 1
                    && receiver.receivedFor(provisioned.id()).size() == 1);
        }
    }

    @Test
    void shouldDeliverABurstFromKafkaOncePerEndpoint() throws Exception {
        // Through real Kafka (polls as the consumer gets them): several resellers and types, each event published
        // twice, and an unreadable message in the middle.
        List<Long> resellers = List.of(newReseller(), newReseller(), newReseller());
        try (TestReceiver receiver = TestReceiver.answering200();
             KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                     ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers, ProducerConfig.ACKS_CONFIG, "all"),
                     new StringSerializer(), new StringSerializer())) {
            for (long reseller : resellers) {
                register(reseller, receiver.url("/" + reseller + "/all"), "*");
                register(reseller, receiver.url("/" + reseller + "/paid"), "order.paid");
            }
            List<EventEnvelope<?>> events = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                long reseller = resellers.get(i % resellers.size());
                events.add(i % 2 == 0 ? orderPaid(reseller) : proxyProvisioned(reseller));
            }
            for (int copy = 0; copy < 2; copy++) {
                for (EventEnvelope<?> event : events) {
                    producer.send(new ProducerRecord<>(topicPrefix + event.type(), event.partitionKey(), EventJson.write(mapper, event)));
                }
                if (copy == 0) {
                    producer.send(new ProducerRecord<>(topicPrefix + EventTypes.ORDER_PAID, Long.toString(resellers.get(0)),
                            "not an event in a burst"));
                }
            }
            producer.flush();

            long expected = events.stream().mapToLong(event -> EventTypes.ORDER_PAID.equals(event.type()) ? 2 : 1).sum();
            await().atMost(PATIENCE).until(() -> receiver.received().size() >= expected
                    && count("select count(*) from deliveries where reseller_id in (?, ?, ?) and status = 'delivered'",
                    resellers.get(0), resellers.get(1), resellers.get(2)) == expected);
            for (EventEnvelope<?> event : events) {
                long endpoints = EventTypes.ORDER_PAID.equals(event.type()) ? 2 : 1;
                assertEquals(endpoints, receiver.receivedFor(event.id()).size(), "once per endpoint: " + event.id());
                for (TestReceiver.Received request : receiver.receivedFor(event.id())) {
                    assertEquals("/" + event.resellerId(), request.path().substring(0, request.path().lastIndexOf('/')),
                            "only its reseller's endpoints");
                }
            }
            assertEquals(expected, receiver.received().size());
        }
    }

    // --- helpers ---

    private ConsumerRecord<String, String> record(EventEnvelope<?> event) {
        return new ConsumerRecord<>(topicPrefix + event.type(), 0, 0L, event.partitionKey(), EventJson.write(mapper, event));
    }

    private static void consumed(io.smallrye.mutiny.Uni<Void> consumed) {
        consumed.await().atMost(PATIENCE);
    }

    /** The webhooks that got a delivery of {@code eventId}, by id. */
    private List<Long> deliveredTo(UUID eventId) throws Exception {
        List<Long> webhooks = new ArrayList<>();
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement(
                     "select webhook_id from deliveries where event_id = ? order by webhook_id")) {
            statement.setObject(1, eventId);
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    webhooks.add(rows.getLong(1));
                }
            }
        }
        return webhooks;
    }

    private static List<String> paths(TestReceiver receiver, UUID eventId) {
        return receiver.receivedFor(eventId).stream().map(TestReceiver.Received::path).sorted().toList();
    }

    private double fallbacks() {
        return fallbacks(EventTypes.ORDER_PAID) + fallbacks(EventTypes.PROXY_PROVISIONED)
                + fallbacks(EventTypes.PROXY_PROVISIONING);
    }

    private double fallbacks(String type) {
        return metrics.counter("proxyvault.events.batch.fallbacks", "handler", EventFanout.HANDLER + ":" + type).count();
    }

    private long register(long reseller, String url, String events) {
        return WebhookFixtures.register(reseller, url, events).id();
    }

    private void update(String sql, Object... parameters) throws Exception {
        WebhookFixtures.update(dataSource, sql, parameters);
    }

    private long count(String sql, Object... parameters) throws Exception {
        return WebhookFixtures.count(dataSource, sql, parameters);
    }
}
