package com.proxyvault.webhooks.delivery;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.proxyvault.platform.auth.InternalTokens;
import com.proxyvault.webhooks.TestDns;
import com.proxyvault.contracts.events.EventEnvelope;
import com.proxyvault.contracts.events.EventJson;
import com.proxyvault.contracts.events.EventSchemas;
import com.proxyvault.contracts.events.EventTypes;
import com.proxyvault.contracts.events.OrderPaid;
import com.proxyvault.contracts.events.ProxyExpired;
import com.proxyvault.contracts.events.ProxyProvisioned;
import io.agroal.api.AgroalDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;
import jakarta.inject.Inject;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End to end inside the service: real envelopes on real Kafka topics (this run's random prefix), real
 * PostgreSQL, and an HTTP receiver on 127.0.0.1 (allowlisted in %test). No timing assertions: every wait
 * polls with a generous limit.
 */
@QuarkusTest
class WebhookDeliveryTest {

    private static final Duration PATIENCE = Duration.ofSeconds(90);
    private static final String WEBHOOKS = "/v1/reseller/webhooks";

    @ConfigProperty(name = "proxyvault.topic-prefix")
    String topicPrefix;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @Inject
    ObjectMapper mapper;

    @Inject
    AgroalDataSource dataSource;

    private KafkaProducer<String, String> producer;

    @BeforeEach
    void openProducer() {
        producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new StringSerializer());
    }

    @AfterEach
    void closeProducer() {
        producer.close(Duration.ofSeconds(5));
    }

    @Test
    void shouldDeliverASignedEventToAMatchingWebhook() throws Exception {
        long reseller = newReseller();
        try (TestReceiver receiver = TestReceiver.answering200()) {
            Registered webhook = register(reseller, receiver.url("/hooks/proxyvault"), "order.paid");
            EventEnvelope<OrderPaid> event = orderPaid(reseller);
            String json = publish(event);

            await().atMost(PATIENCE).until(() -> !receiver.receivedFor(event.id()).isEmpty());

            TestReceiver.Received request = receiver.receivedFor(event.id()).get(0);
            assertEquals("POST", request.method());
            assertEquals("/hooks/proxyvault", request.path());
            assertArrayEquals(json.getBytes(StandardCharsets.UTF_8), request.body(), "body is the envelope as produced");
            assertEquals("application/json", request.header("Content-Type"));
            assertEquals("order.paid", request.header("X-ProxyVault-Event"));
            assertEquals(hmacSha256Hex(webhook.secret(), request.body()), request.header("X-ProxyVault-Signature"));

            await().atMost(PATIENCE).untilAsserted(() -> deliveries(reseller, webhook.id())
                    .body("total", equalTo(1))
                    .body("deliveries[0].event", equalTo("order.paid"))
                    .body("deliveries[0].success", equalTo(true))
                    .body("deliveries[0].response_status", equalTo(200)));
            assertEquals(1, receiver.receivedFor(event.id()).size());
        }
    }

    @Test
    void shouldDeliverTheSameEventOnlyOnce() throws Exception {
        long reseller = newReseller();
        try (TestReceiver receiver = TestReceiver.answering200()) {
            register(reseller, receiver.url("/hook"), "*");
            EventEnvelope<ProxyProvisioned> event = proxyProvisioned(reseller);
            publish(event);
            publish(event);
            // Same topic and key, so the marker is consumed after both copies.
            EventEnvelope<ProxyProvisioned> marker = proxyProvisioned(reseller);
            publish(marker);

            await().atMost(PATIENCE).until(() -> !receiver.receivedFor(marker.id()).isEmpty()
                    && !receiver.receivedFor(event.id()).isEmpty());

            assertEquals(1, count("select count(*) from deliveries where event_id = ?", event.id()));
            assertEquals(1, receiver.receivedFor(event.id()).size());
        }
    }

    @Test
    void shouldNotDeliverEventsOfOtherTypesOrOtherResellers() throws Exception {
        long reseller = newReseller();
        long otherReseller = newReseller();
        try (TestReceiver receiver = TestReceiver.answering200()) {
            register(reseller, receiver.url("/hook"), "proxy.expired");
            EventEnvelope<OrderPaid> otherType = orderPaid(reseller);
            EventEnvelope<ProxyExpired> otherResellers = proxyExpired(otherReseller);
            EventEnvelope<ProxyExpired> matching = proxyExpired(reseller);
            publish(otherType);
            publish(otherResellers);
            publish(matching);

            await().atMost(PATIENCE).until(() -> !receiver.receivedFor(matching.id()).isEmpty());
            // Once the fan-out has processed an event without creating a delivery, nothing can send it later.
            for (UUID skipped : List.of(otherType.id(), otherResellers.id())) {
                await().atMost(PATIENCE).until(() -> count("select count(*) from processed_events where event_id = ?", skipped) == 1);
                assertEquals(0, count("select count(*) from deliveries where event_id = ?", skipped));
                assertTrue(receiver.receivedFor(skipped).isEmpty());
            }
        }
    }

    @Test
    void shouldRetryAReceiverThatAnswers500AndShowEveryAttempt() throws Exception {
        long reseller = newReseller();
        try (TestReceiver receiver = TestReceiver.answering(List.of(500, 500), 200)) {
            Registered webhook = register(reseller, receiver.url("/flaky"), "*");
            EventEnvelope<OrderPaid> event = orderPaid(reseller);
            publish(event);

            await().atMost(PATIENCE).untilAsserted(() -> deliveries(reseller, webhook.id())
                    .body("total", equalTo(3))
                    // Newest first: the success, then the two failures.
                    .body("deliveries.success", equalTo(List.of(true, false, false)))
                    .body("deliveries.response_status", equalTo(List.of(200, 500, 500)))
                    .body("deliveries.event", equalTo(List.of("order.paid", "order.paid", "order.paid"))));

            List<TestReceiver.Received> attempts = receiver.receivedFor(event.id());
            assertEquals(3, attempts.size());
            for (TestReceiver.Received attempt : attempts) {
                assertArrayEquals(attempts.get(0).body(), attempt.body(), "every attempt sends the same bytes");
                assertEquals(hmacSha256Hex(webhook.secret(), attempt.body()), attempt.header("X-ProxyVault-Signature"));
            }
            deliveries(reseller, webhook.id(), 1, 1).body("deliveries.size()", equalTo(1)).body("total", equalTo(3))
                    .body("deliveries[0].response_status", equalTo(500));
        }
    }

    @Test
    void shouldRecordAnUnreachableReceiverAsAFailedAttempt() throws Exception {
        long reseller = newReseller();
        String deadUrl;
        try (TestReceiver closed = TestReceiver.answering200()) {
            deadUrl = closed.url("/gone");
        }
        Registered webhook = register(reseller, deadUrl, "*");
        publish(orderPaid(reseller));

        await().atMost(PATIENCE).untilAsserted(() -> deliveries(reseller, webhook.id())
                .body("total", greaterThanOrEqualTo(1))
                .body("deliveries.success", everyItem(equalTo(false)))
                .body("deliveries.response_status", everyItem(nullValue())));
    }

    @Test
    void shouldStopRetryingWhenTheWebhookIsDeleted() throws Exception {
        long reseller = newReseller();
        try (TestReceiver receiver = TestReceiver.answering(List.of(), 503)) {
            Registered webhook = register(reseller, receiver.url("/down"), "*");
            EventEnvelope<OrderPaid> event = orderPaid(reseller);
            publish(event);
            await().atMost(PATIENCE).until(() -> !receiver.receivedFor(event.id()).isEmpty());

            given().auth().oauth2(InternalTokens.webhooks().reseller(reseller)).delete(WEBHOOKS + "/" + webhook.id())
                    .then().statusCode(200);

            assertEquals(1, count("select count(*) from deliveries where event_id = ? and status = 'cancelled'", event.id()));
        }
    }

    @Test
    void shouldRefuseToConnectWhenTheNameNowResolvesToAPrivateAddress() throws Exception {
        long reseller = newReseller();
        try (TestReceiver receiver = TestReceiver.answering200()) {
            String host = "rebind-" + reseller + TestDns.ZONE;
            TestDns.answer(host, "93.184.216.34"); // public at registration
            Registered webhook = register(reseller, "https://" + host + ":" + receiver.port() + "/hook", "*");
            TestDns.answer(host, "8.8.8.8", "127.0.0.1"); // one private answer among public ones at send time
            EventEnvelope<OrderPaid> event = orderPaid(reseller);
            publish(event);

            await().atMost(PATIENCE).untilAsserted(() -> deliveries(reseller, webhook.id())
                    .body("total", greaterThanOrEqualTo(1))
                    .body("deliveries[0].success", equalTo(false))
                    .body("deliveries[0].response_status", nullValue()));
            assertEquals(1, count("select count(*) from delivery_attempts a join deliveries d on d.id = a.delivery_id"
                    + " where d.event_id = ? and a.attempt = 1 and a.error like '%resolves to a non-public address (loopback)%'", event.id()));
            assertTrue(receiver.received().isEmpty(), "nothing connected to the receiver on 127.0.0.1");
        }
    }

    @Test
    void shouldSkipMalformedMessagesAndKeepConsuming() throws Exception {
        long reseller = newReseller();
        try (TestReceiver receiver = TestReceiver.answering200()) {
            register(reseller, receiver.url("/hook"), "*");
            String topic = topicPrefix + EventTypes.ORDER_PAID;
            producer.send(new ProducerRecord<>(topic, Long.toString(reseller), "not json at all")).get();
            producer.send(new ProducerRecord<>(topic, Long.toString(reseller),
                    EventJson.write(mapper, proxyExpired(reseller)))).get(); // wrong type for this topic
            EventEnvelope<OrderPaid> valid = orderPaid(reseller);
            publish(valid);

            await().atMost(PATIENCE).until(() -> !receiver.receivedFor(valid.id()).isEmpty());
            assertEquals(1, receiver.received().size(), "only the valid event was delivered");
        }
    }

    // --- helpers ---

    record Registered(long id, String secret) {
    }

    private Registered register(long reseller, String url, String events) {
        Map<String, Object> created = given().auth().oauth2(InternalTokens.webhooks().reseller(reseller))
                .contentType(ContentType.JSON)
                .body(Map.of("url", url, "events", events))
                .post(WEBHOOKS)
                .then().statusCode(201)
                .extract().as(Map.class);
        return new Registered(((Number) created.get("id")).longValue(), (String) created.get("secret"));
    }

    private ValidatableResponse deliveries(long reseller, long webhookId) {
        return deliveries(reseller, webhookId, 50, 0);
    }

    private ValidatableResponse deliveries(long reseller, long webhookId, int limit, int offset) {
        return given().auth().oauth2(InternalTokens.webhooks().reseller(reseller))
                .queryParam("limit", limit).queryParam("offset", offset)
                .get(WEBHOOKS + "/" + webhookId + "/deliveries")
                .then().statusCode(200);
    }

    /** Writes the envelope as producers do, checks it against its schema, and sends it keyed by reseller. */
    private String publish(EventEnvelope<?> event) throws Exception {
        String json = EventJson.write(mapper, event);
        EventSchemas.assertValid(json);
        producer.send(new ProducerRecord<>(topicPrefix + event.type(), event.partitionKey(), json)).get();
        return json;
    }

    private long count(String sql, Object parameter) throws Exception {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setObject(1, parameter);
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        }
    }

    /** Independent of the service's signer: what a receiver following the seed's snippets computes. */
    private static String hmacSha256Hex(String secret, byte[] body) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return HexFormat.of().formatHex(mac.doFinal(body));
    }

    private static EventEnvelope<OrderPaid> orderPaid(long reseller) {
        return EventEnvelope.of(EventTypes.ORDER_PAID, reseller, new OrderPaid(42, 1, 2, "Multi Hop Proxy", "24 Hour",
                new BigDecimal("20.00"), "day", 1, now()));
    }

    private static EventEnvelope<ProxyProvisioned> proxyProvisioned(long reseller) {
        return EventEnvelope.of(EventTypes.PROXY_PROVISIONED, reseller, new ProxyProvisioned(7, 42, "5E9F-2026-03-09",
                "199.188.89.209", 8000, "user123", "pass456", "LAX", "active", now().plusDays(1)));
    }

    private static EventEnvelope<ProxyExpired> proxyExpired(long reseller) {
        return EventEnvelope.of(EventTypes.PROXY_EXPIRED, reseller, new ProxyExpired(7, 42, now()));
    }

    private static LocalDateTime now() {
        return LocalDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.SECONDS);
    }

    private static long newReseller() {
        return ThreadLocalRandom.current().nextLong(1_000_000, 1_000_000_000);
    }
}
