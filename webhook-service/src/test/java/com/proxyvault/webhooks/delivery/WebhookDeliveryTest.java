package com.proxyvault.webhooks.delivery;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.proxyvault.platform.auth.InternalTokens;
import com.proxyvault.webhooks.TestDns;
import com.proxyvault.webhooks.WebhookFixtures;
import com.proxyvault.webhooks.WebhookFixtures.Registered;
import com.proxyvault.contracts.events.EventEnvelope;
import com.proxyvault.contracts.events.EventJson;
import com.proxyvault.contracts.events.EventSchemas;
import com.proxyvault.contracts.events.EventTypes;
import com.proxyvault.contracts.events.OrderPaid;
import com.proxyvault.contracts.events.ProxyExpired;
import com.proxyvault.contracts.events.ProxyProvisioned;
import com.proxyvault.contracts.events.ProxyRotationFailed;
import com.proxyvault.webhooks.events.EventFanoutListener;
import io.smallrye.mutiny.Uni;
import io.agroal.api.AgroalDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerRecord;
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
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;

import static com.proxyvault.webhooks.WebhookFixtures.newReseller;
import static com.proxyvault.webhooks.WebhookFixtures.orderPaid;
import static com.proxyvault.webhooks.WebhookFixtures.proxyExpired;
import static com.proxyvault.webhooks.WebhookFixtures.proxyProvisioned;
import static com.proxyvault.webhooks.WebhookFixtures.register;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

    @Inject
    EventFanoutListener fanoutListener;

    @Inject
    DeliveryStore store;

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
            JsonNode produced = mapper.readTree(json);
            JsonNode body = mapper.readTree(request.body());
            assertEquals(List.of("id", "type", "created_at", "reseller_id", "data"), fieldNames(body));
            assertEquals(event.id().toString(), body.get("id").asText());
            assertEquals("order.paid", body.get("type").asText());
            assertEquals(produced.get("occurred_at"), body.get("created_at"));
            assertEquals(reseller, body.get("reseller_id").asLong());
            assertEquals(42, body.get("data").get("id").asLong(), "data.id is the order's id");
            assertEquals(produced.get("data").get("amount_usd"), body.get("data").get("amount_usd"));
            assertEquals("application/json", request.header("Content-Type"));
            assertEquals(event.id().toString(), request.header("webhook-id"));
            assertTrue(request.header("webhook-timestamp").matches("\\d{10}"), request.header("webhook-timestamp"));
            assertTrue(request.header("webhook-signature").matches("v1,[A-Za-z0-9+/]{43}="), request.header("webhook-signature"));
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
    void shouldDeliverAFailedRotationToAnEndpointSubscribedToIt() throws Exception {
        // A proxy.* event added after the others: the pattern subscription finds its topic, the registry lets
        // endpoints subscribe to it and gives it data.id, as for every other proxy event.
        long reseller = newReseller();
        try (TestReceiver receiver = TestReceiver.answering200()) {
            Registered webhook = register(reseller, receiver.url("/rotations"), "proxy.rotation_failed");
            EventEnvelope<ProxyRotationFailed> event = EventEnvelope.of(EventTypes.PROXY_ROTATION_FAILED, reseller,
                    new ProxyRotationFailed(7, 42, "hard", "203.0.113.10", "The modem could not do it: modem did not come back",
                            "service_unavailable", 1));
            publish(event);

            await().atMost(PATIENCE).until(() -> !receiver.receivedFor(event.id()).isEmpty());

            TestReceiver.Received request = receiver.receivedFor(event.id()).get(0);
            assertEquals("proxy.rotation_failed", request.header("X-ProxyVault-Event"));
            assertEquals(hmacSha256Hex(webhook.secret(), request.body()), request.header("X-ProxyVault-Signature"));
            JsonNode data = mapper.readTree(request.body()).get("data");
            assertEquals(7, data.get("id").asLong(), "data.id is the proxy's id");
            assertEquals(7, data.get("proxy_id").asLong());
            assertEquals("hard", data.get("mode").asText());
            assertEquals("203.0.113.10", data.get("old_ip").asText());
            assertEquals("The modem could not do it: modem did not come back", data.get("reason").asText());
            await().atMost(PATIENCE).untilAsserted(() -> deliveries(reseller, webhook.id())
                    .body("total", equalTo(1))
                    .body("deliveries[0].event", equalTo("proxy.rotation_failed"))
                    .body("deliveries[0].success", equalTo(true)));
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
    void shouldCreateAndSendOneDeliveryPerEndpointWhenOneEventIsAppliedManyTimesAtOnce() throws Exception {
        // Copies of one event applied at the same time (Kafka redelivers; an operator may replay a parked copy):
        // the fan-out's one statement (inbox row, deliveries, their claim) lets exactly one copy create, claim
        // and start anything, so each endpoint gets one delivery, claimed once and sent once.
        long reseller = newReseller();
        try (TestReceiver receiver = TestReceiver.answering200()) {
            register(reseller, receiver.url("/a"), "*");
            register(reseller, receiver.url("/b"), "order.paid");
            EventEnvelope<OrderPaid> event = orderPaid(reseller);
            ConsumerRecord<String, String> record = new ConsumerRecord<>(topicPrefix + event.type(), 0, 0L,
                    event.partitionKey(), EventJson.write(mapper, event));
            List<Uni<Void>> copies = IntStream.range(0, 8).mapToObj(i -> fanoutListener.onRecords(List.of(record))).toList();
            Uni.join().all(copies).andFailFast().await().atMost(PATIENCE);

            await().atMost(PATIENCE).until(() -> count(
                    "select count(*) from deliveries where event_id = ? and status = 'delivered'", event.id()) == 2);
            assertEquals(2, count("select count(*) from deliveries where event_id = ?", event.id()));
            assertEquals(2, count("select count(*) from deliveries where event_id = ? and attempts = 1", event.id()),
                    "each claimed once");
            assertEquals(2, count("select count(*) from delivery_attempts where event_id = ?", event.id()));
            assertEquals(2, receiver.receivedFor(event.id()).size(), "one request per endpoint");
        }
    }

    @Test
    void shouldClaimEveryDueDeliveryOnceWhenClaimsRunAtTheSameTime() throws Exception {
        // Due deliveries (as after an outage) claimed by several claims at once beside the service's own
        // dispatcher: skip locked and the lease give every row to exactly one of them.
        long reseller = newReseller();
        try (TestReceiver receiver = TestReceiver.answering200()) {
            Registered webhook = register(reseller, receiver.url("/due"), "*");
            update("""
                    insert into deliveries (webhook_id, reseller_id, event_id, event_type, payload)
                    select ?, ?, gen_random_uuid(), 'order.paid', '{}' from generate_series(1, 200)""", webhook.id(), reseller);
            // The test's claims are leased for an hour and never sent; the dispatcher sends what it claims.
            List<Uni<List<DueDelivery>>> claims = IntStream.range(0, 6)
                    .mapToObj(i -> store.claimDue(50, 1000, Map.of(), Duration.ofHours(1))).toList();
            List<Long> claimedByTest = Uni.join().all(claims).andFailFast().await().atMost(PATIENCE).stream()
                    .flatMap(List::stream).map(DueDelivery::id).toList();

            assertEquals(claimedByTest.size(), claimedByTest.stream().distinct().count(), "no row in two of the test's claims");
            long sentByService = 200 - claimedByTest.size();
            await().atMost(PATIENCE).until(() -> count(
                    "select count(*) from deliveries where webhook_id = ? and status = 'delivered'", webhook.id()) == sentByService);
            assertEquals(0, count("select count(*) from deliveries where webhook_id = ? and attempts <> 1", webhook.id()),
                    "every row claimed exactly once");
            assertEquals(sentByService, receiver.received().size());
            assertEquals(sentByService, count("select count(distinct delivery_id) from delivery_attempts where webhook_id = ?",
                    webhook.id()), "one attempt per row the service claimed");
            assertEquals(claimedByTest.size(), count("""
                    select count(*) from deliveries where webhook_id = ? and status = 'pending'
                    and next_attempt_at > (now() at time zone 'utc') + interval '30 minutes'""", webhook.id()),
                    "the rows the test claimed are still under its lease, unsent");
        }
    }

    @Test
    void shouldRecordEverySuccessOfABurstOnceWithItsDeliveryDelivered() throws Exception {
        // Successes are written by group commit (DeliveryStore): a burst to two endpoints ends many attempts
        // at once, and each must still get exactly one attempt row and its delivery "delivered".
        long reseller = newReseller();
        try (TestReceiver receiver = TestReceiver.answering200()) {
            Registered first = register(reseller, receiver.url("/a"), "*");
            Registered second = register(reseller, receiver.url("/b"), "order.paid");
            List<EventEnvelope<OrderPaid>> burst = new java.util.ArrayList<>();
            for (int i = 0; i < 40; i++) {
                EventEnvelope<OrderPaid> event = orderPaid(reseller);
                burst.add(event);
                producer.send(new ProducerRecord<>(topicPrefix + event.type(), event.partitionKey(),
                        EventJson.write(mapper, event)));
            }
            producer.flush();

            await().atMost(PATIENCE).until(() -> count("""
                    select count(*) from deliveries where reseller_id = ? and status = 'delivered'""", reseller) == 80);
            assertEquals(80, count("select count(*) from delivery_attempts a join deliveries d on d.id = a.delivery_id "
                    + "where d.reseller_id = ? and a.success and a.response_status = 200 and a.attempt = 1", reseller));
            assertEquals(80, count("select count(distinct delivery_id) from delivery_attempts a "
                    + "join deliveries d on d.id = a.delivery_id where d.reseller_id = ?", reseller));
            for (EventEnvelope<OrderPaid> event : burst) {
                assertEquals(2, receiver.receivedFor(event.id()).size(), "one request per endpoint for " + event.id());
            }
            deliveries(reseller, first.id()).body("total", equalTo(40));
            deliveries(reseller, second.id()).body("total", equalTo(40));
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
                .body("deliveries.response_status", everyItem(nullValue()))
                // the history says why (stop 35, M2): the connection was refused, not a timeout or a blocked address
                .body("deliveries.error", everyItem(startsWith("connection refused (127.0.0.1:"))));
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
                    .body("deliveries[0].response_status", nullValue())
                    .body("deliveries[0].error", containsString("resolves to a non-public address (loopback)")));
            assertEquals(1, count("select count(*) from delivery_attempts a join deliveries d on d.id = a.delivery_id"
                    + " where d.event_id = ? and a.attempt = 1 and a.error like '%resolves to a non-public address (loopback)%'", event.id()));
            assertTrue(receiver.received().isEmpty(), "nothing connected to the receiver on 127.0.0.1");
        }
    }

    @Test
    void shouldBeVerifiedByTheSeedsOwnFunctionsAndByTheStandardWebhooksLibrary() throws Exception {
        long reseller = newReseller();
        try (TestReceiver receiver = TestReceiver.answering200()) {
            Registered webhook = register(reseller, receiver.url("/verify"), "proxy.provisioned");
            assertTrue(webhook.secret().matches("whsec_[A-Za-z0-9+/]{43}="), "whsec_ + base64 of 32 random bytes: " + webhook.secret());
            EventEnvelope<ProxyProvisioned> event = proxyProvisioned(reseller);
            publish(event);
            await().atMost(PATIENCE).until(() -> !receiver.receivedFor(event.id()).isEmpty());
            TestReceiver.Received request = receiver.receivedFor(event.id()).get(0);

            String seedSignature = request.header("X-ProxyVault-Signature");
            assertTrue(ReferenceVerifiers.seedPython(request.body(), seedSignature, webhook.secret()), "seed's Python");
            assertTrue(ReferenceVerifiers.seedNode(request.body(), seedSignature, webhook.secret()), "seed's Node");
            assertTrue(ReferenceVerifiers.standardWebhooks(request.body(), request.standardHeaders(), webhook.secret()),
                    "standardwebhooks npm package");
            // and they do reject: another secret, a changed body
            String otherSecret = register(reseller, receiver.url("/other"), "order.paid").secret();
            assertFalse(ReferenceVerifiers.seedPython(request.body(), seedSignature, otherSecret));
            assertFalse(ReferenceVerifiers.standardWebhooks(request.body(), request.standardHeaders(), otherSecret));
            byte[] tampered = request.bodyText().replace("pass456", "pass457").getBytes(StandardCharsets.UTF_8);
            assertFalse(ReferenceVerifiers.standardWebhooks(tampered, request.standardHeaders(), webhook.secret()));

            // data is the proxy as the API shows it, credentials included
            JsonNode data = mapper.readTree(request.body()).get("data");
            assertEquals(7, data.get("id").asLong());
            for (String field : List.of("name", "ip", "port", "username", "password", "location_id", "status", "expires_at")) {
                assertTrue(data.hasNonNull(field), "data has " + field + ": " + data);
            }
        }
    }

    @Test
    void shouldSignWithTheOldAndTheNewSecretForADayAfterARotation() throws Exception {
        long reseller = newReseller();
        try (TestReceiver receiver = TestReceiver.answering200()) {
            Registered webhook = register(reseller, receiver.url("/rotating"), "order.paid");
            Map<String, Object> rotated = as(reseller).post(WEBHOOKS + "/" + webhook.id() + "/rotate-secret")
                    .then().statusCode(200).extract().as(Map.class);
            String newSecret = (String) rotated.get("secret");
            assertTrue(newSecret.startsWith("whsec_") && !newSecret.equals(webhook.secret()));
            assertTrue(((String) rotated.get("previous_secret_expires_at")).matches("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}"));

            String eventId = as(reseller).post(WEBHOOKS + "/" + webhook.id() + "/test")
                    .then().statusCode(202).body("detail", equalTo("Test event queued"))
                    .extract().path("event_id");
            await().atMost(PATIENCE).until(() -> !receiver.receivedFor(eventId).isEmpty());
            TestReceiver.Received request = receiver.receivedFor(eventId).get(0);
            assertEquals("webhook.test", request.header("X-ProxyVault-Event"), "sent although the endpoint only takes order.paid");
            assertEquals(2, request.header("webhook-signature").split(" ").length, request.header("webhook-signature"));
            assertTrue(ReferenceVerifiers.standardWebhooks(request.body(), request.standardHeaders(), newSecret));
            assertTrue(ReferenceVerifiers.standardWebhooks(request.body(), request.standardHeaders(), webhook.secret()));
            assertTrue(ReferenceVerifiers.seedPython(request.body(), request.header("X-ProxyVault-Signature"), newSecret));
            assertTrue(ReferenceVerifiers.seedPython(request.body(), request.header("X-ProxyVault-Signature-Previous"), webhook.secret()));
        }
    }

    @Test
    void shouldDisableAnEndpointThatAnswers410AndTellTheResellersOtherEndpoints() throws Exception {
        long reseller = newReseller();
        try (TestReceiver gone = TestReceiver.answering(List.of(410), 200);
             TestReceiver other = TestReceiver.answering200()) {
            Registered goneHook = register(reseller, gone.url("/gone"), "order.paid");
            Registered otherHook = register(reseller, other.url("/other"), "*");
            EventEnvelope<OrderPaid> first = orderPaid(reseller);
            publish(first);

            await().atMost(PATIENCE).until(() -> other.received().stream().anyMatch(r -> "webhook.disabled".equals(r.header("X-ProxyVault-Event"))));
            JsonNode disabled = mapper.readTree(other.received().stream()
                    .filter(r -> "webhook.disabled".equals(r.header("X-ProxyVault-Event"))).findFirst().orElseThrow().body());
            assertEquals(goneHook.id(), disabled.get("data").get("webhook_id").asLong());
            assertEquals(reseller, disabled.get("reseller_id").asLong());
            assertEquals(1, gone.received().size(), "a 410 is not retried");
            as(reseller).get(WEBHOOKS).then().statusCode(200)
                    .body("webhooks.find { it.id == " + goneHook.id() + " }.enabled", equalTo(false))
                    .body("webhooks.find { it.id == " + goneHook.id() + " }.disabled_reason", containsString("410"))
                    .body("webhooks.find { it.id == " + otherHook.id() + " }.enabled", equalTo(true));

            // While disabled: events are kept as skipped, tests are refused.
            EventEnvelope<OrderPaid> second = orderPaid(reseller);
            publish(second);
            await().atMost(PATIENCE).until(() -> !other.receivedFor(second.id()).isEmpty());
            await().atMost(PATIENCE).until(() -> count("select count(*) from deliveries where event_id = ? and status = 'skipped'", second.id()) == 1);
            as(reseller).post(WEBHOOKS + "/" + goneHook.id() + "/test").then().statusCode(409).body("code", equalTo("conflict"));

            // Enabled again, a replay brings both events.
            as(reseller).post(WEBHOOKS + "/" + goneHook.id() + "/enable").then().statusCode(200).body("enabled", equalTo(true));
            as(reseller).contentType(ContentType.JSON).body(Map.of("since", LocalDateTime.now(ZoneOffset.UTC).minusHours(1)
                            .format(java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss"))))
                    .post(WEBHOOKS + "/" + goneHook.id() + "/replay")
                    .then().statusCode(202).body("events", equalTo(2));
            await().atMost(PATIENCE).until(() -> gone.receivedFor(second.id()).size() == 1 && gone.receivedFor(first.id()).size() == 2);
        }
    }

    @Test
    void shouldDisableAnEndpointWhoseEveryAttemptFailedForFiveDaysAndClearTheRunOnSuccess() throws Exception {
        long reseller = newReseller();
        try (TestReceiver failing = TestReceiver.answering(List.of(), 500);
             TestReceiver recovering = TestReceiver.answering200();
             TestReceiver other = TestReceiver.answering200()) {
            Registered failingHook = register(reseller, failing.url("/down"), "order.paid");
            Registered recoveringHook = register(reseller, recovering.url("/up"), "order.paid");
            register(reseller, other.url("/other"), "webhook.disabled");
            // Both have been failing for six days (as the dispatcher records it: the first failure of the run).
            update("update webhooks set failing_since = (now() at time zone 'utc') - interval '6 days' where id in (?, ?)",
                    failingHook.id(), recoveringHook.id());
            publish(orderPaid(reseller));

            await().atMost(PATIENCE).until(() -> !other.received().isEmpty());
            String disabledBody = other.received().get(0).bodyText();
            JsonNode disabled = mapper.readTree(disabledBody);
            assertEquals(mapper.writeValueAsString(disabled), disabledBody, "compact JSON, like every other event's body");
            assertEquals(List.of("id", "type", "created_at", "reseller_id", "data"), fieldNames(disabled));
            assertEquals(List.of("id", "webhook_id", "url", "reason", "disabled_at"), fieldNames(disabled.get("data")));
            assertTrue(disabled.get("created_at").asText().matches("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}"),
                    disabled.get("created_at").asText());
            assertEquals(disabled.get("created_at"), disabled.get("data").get("disabled_at"));
            assertEquals(reseller, disabled.get("reseller_id").asLong());
            assertEquals("webhook.disabled", disabled.get("type").asText());
            assertEquals(failingHook.id(), disabled.get("data").get("id").asLong());
            assertTrue(disabled.get("data").get("reason").asText().contains("5 days"), disabled.toString());
            as(reseller).get(WEBHOOKS).then().statusCode(200)
                    .body("webhooks.find { it.id == " + failingHook.id() + " }.enabled", equalTo(false))
                    .body("webhooks.find { it.id == " + recoveringHook.id() + " }.enabled", equalTo(true));
            await().atMost(PATIENCE).until(() -> count("select count(*) from webhooks where id = ? and failing_since is null",
                    recoveringHook.id()) == 1);
            assertEquals(1, other.received().size(), "one webhook.disabled: the recovering endpoint stays enabled");
        }
    }

    @Test
    void shouldNotFollowRedirects() throws Exception {
        long reseller = newReseller();
        try (TestReceiver target = TestReceiver.answering200();
             TestReceiver redirecting = TestReceiver.answering(List.of(), 302, Map.of("Location", target.url("/elsewhere")), null)) {
            Registered webhook = register(reseller, redirecting.url("/moved"), "*");
            EventEnvelope<OrderPaid> event = orderPaid(reseller);
            publish(event);
            await().atMost(PATIENCE).untilAsserted(() -> deliveries(reseller, webhook.id())
                    .body("total", greaterThanOrEqualTo(1))
                    .body("deliveries[0].success", equalTo(false))
                    .body("deliveries[0].response_status", equalTo(302)));
            assertTrue(target.received().isEmpty(), "the redirect's target was never called");
        }
    }

    @Test
    void shouldHonourRetryAfterAndKeepTheFirstKibibyteOfEachAnswer() throws Exception {
        long reseller = newReseller();
        String longAnswer = "busy ".repeat(400); // 2000 bytes
        try (TestReceiver receiver = TestReceiver.answering(List.of(503), 200, Map.of("Retry-After", "3"), longAnswer)) {
            Registered webhook = register(reseller, receiver.url("/busy"), "*");
            EventEnvelope<OrderPaid> event = orderPaid(reseller);
            publish(event);

            await().atMost(PATIENCE).untilAsserted(() -> deliveries(reseller, webhook.id())
                    .body("total", equalTo(2))
                    .body("deliveries.success", equalTo(List.of(true, false)))
                    .body("deliveries.attempt", equalTo(List.of(2, 1)))
                    .body("deliveries.response_status", equalTo(List.of(200, 503)))
                    .body("deliveries.event_id", everyItem(equalTo(event.id().toString())))
                    .body("deliveries.duration_ms", everyItem(greaterThanOrEqualTo(0)))
                    .body("deliveries[1].response_body", equalTo(longAnswer.substring(0, 1024))));
            // The schedule's wait is 1 s (+-20 %) in tests: only Retry-After can have put 3 s between the attempts.
            List<TestReceiver.Received> attempts = receiver.receivedFor(event.id());
            assertEquals(2, attempts.size());
            long first = Long.parseLong(attempts.get(0).header("webhook-timestamp"));
            long second = Long.parseLong(attempts.get(1).header("webhook-timestamp"));
            assertTrue(second - first >= 2, "second attempt waited for Retry-After: " + first + " -> " + second);
            assertEquals(attempts.get(0).header("webhook-id"), attempts.get(1).header("webhook-id"), "webhook-id is stable across retries");
        }
    }

    /**
     * A receiver that sheds load slowly (its 503 with {@code Retry-After: 2} takes 3 s to come) is left alone for the 2 s
     * it asked for from when its answer came, not from when the attempt started: counted from the start, the wait was
     * over before the answer arrived and the retry went out at once (hostile review, stop 35, M1).
     */
    @Test
    void shouldCountRetryAfterFromTheAnswerNotFromTheStartOfASlowAttempt() throws Exception {
        long reseller = newReseller();
        try (TestReceiver receiver = TestReceiver.answeringAfter(Duration.ofSeconds(3), List.of(503), 200, Map.of("Retry-After", "2"))) {
            Registered webhook = register(reseller, receiver.url("/slow-busy"), "*");
            EventEnvelope<OrderPaid> event = orderPaid(reseller);
            publish(event);

            await().atMost(PATIENCE).untilAsserted(() -> deliveries(reseller, webhook.id())
                    .body("deliveries.success", equalTo(List.of(true, false)))
                    .body("deliveries.error", equalTo(Arrays.asList(null, "HTTP 503"))));
            List<TestReceiver.Received> attempts = receiver.receivedFor(event.id());
            assertEquals(2, attempts.size());
            // the first answer left the receiver 3 s after the first request arrived; 2 s more before the second
            long millisBetween = Duration.ofNanos(attempts.get(1).arrivedNanos() - attempts.get(0).arrivedNanos()).toMillis();
            assertTrue(millisBetween >= 4_500, "the retry waited Retry-After from the answer: " + millisBetween + " ms after the first");
        }
    }

    @Test
    void shouldKeepDeliveringToOtherEndpointsWhileOneHangs() throws Exception {
        long reseller = newReseller();
        try (TestReceiver hanging = TestReceiver.hanging();
             TestReceiver healthy = TestReceiver.answering200()) {
            Registered stuck = register(reseller, hanging.url("/stuck"), "order.paid");
            register(reseller, healthy.url("/healthy"), "order.paid");
            for (int i = 0; i < 8; i++) {
                publish(orderPaid(reseller));
            }
            // the hanging endpoint now holds all of its 8 slots
            await().atMost(PATIENCE).until(() -> hanging.received().size() == 8 && healthy.received().size() == 8);
            for (int i = 0; i < 8; i++) {
                publish(orderPaid(reseller));
            }
            await().atMost(PATIENCE).until(() -> healthy.received().size() == 16);
            assertEquals(8, hanging.received().size(), "no more than endpoint-concurrency attempts in flight to one endpoint");
            assertEquals(0, count("select count(*) from delivery_attempts where webhook_id = ?", stuck.id()),
                    "the healthy endpoint got everything while the stuck one's first attempts were still open");
            hanging.release();
            await().atMost(PATIENCE).until(() -> hanging.received().size() == 16);
        }
    }

    @Test
    void shouldResendADeliveryFromTheHistory() throws Exception {
        long reseller = newReseller();
        try (TestReceiver receiver = TestReceiver.answering200()) {
            Registered webhook = register(reseller, receiver.url("/again"), "*");
            Registered otherWebhook = register(newReseller(), receiver.url("/stranger"), "*");
            EventEnvelope<OrderPaid> event = orderPaid(reseller);
            publish(event);
            await().atMost(PATIENCE).untilAsserted(() -> deliveries(reseller, webhook.id()).body("total", equalTo(1)));
            int historyId = deliveries(reseller, webhook.id()).extract().path("deliveries[0].id");

            as(reseller).post(WEBHOOKS + "/" + webhook.id() + "/deliveries/" + historyId + "/resend")
                    .then().statusCode(202).body("event_id", equalTo(event.id().toString()));
            await().atMost(PATIENCE).until(() -> receiver.receivedFor(event.id()).size() == 2);
            List<TestReceiver.Received> both = receiver.receivedFor(event.id());
            assertArrayEquals(both.get(0).body(), both.get(1).body(), "the same body again");
            await().atMost(PATIENCE).untilAsserted(() -> deliveries(reseller, webhook.id())
                    .body("total", equalTo(2)).body("deliveries.attempt", equalTo(List.of(1, 1))));

            as(reseller).post(WEBHOOKS + "/" + webhook.id() + "/deliveries/999999999/resend")
                    .then().statusCode(404).body("detail", equalTo("Delivery not found"));
            as(reseller).post(WEBHOOKS + "/" + otherWebhook.id() + "/deliveries/" + historyId + "/resend")
                    .then().statusCode(404).body("detail", equalTo("Webhook not found"));
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

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new java.util.ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    // --- helpers ---

    private static io.restassured.specification.RequestSpecification as(long reseller) {
        return given().auth().oauth2(InternalTokens.webhooks().reseller(reseller));
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

    private void update(String sql, Object... parameters) throws Exception {
        WebhookFixtures.update(dataSource, sql, parameters);
    }

    private long count(String sql, Object parameter) throws Exception {
        return WebhookFixtures.count(dataSource, sql, parameter);
    }

    /** Independent of the service's signer: what a receiver following the seed's snippets computes. */
    private static String hmacSha256Hex(String secret, byte[] body) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return HexFormat.of().formatHex(mac.doFinal(body));
    }
}
