package com.proxyvault.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.proxyvault.contracts.agent.v1.FleetMessage;
import com.proxyvault.contracts.events.EventEnvelope;
import com.proxyvault.contracts.events.EventJson;
import com.proxyvault.contracts.events.EventSchemas;
import com.proxyvault.contracts.events.EventTypes;
import com.proxyvault.contracts.events.OrderPaid;
import com.proxyvault.platform.auth.InternalTokens;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A monthly proxy's last day, run in seconds on the injected clock (docs/money.md, "Renewals"): the 24 h
 * and 1 h checkpoints announce proxy.expiring while auto-renew is off; switching it on inside the last one
 * asks for a renewal at once; a paid renewal order moves expires_at by a month, once, and a renewal of a proxy
 * that is not there is refused (so order-service refunds it). Real PostgreSQL, Kafka and agent stream.
 */
@QuarkusTest
class RenewalFlowTest {

    private static final int GRPC_PORT = 19091;
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final AtomicLong IDS = new AtomicLong(System.nanoTime() % 1_000_000 * 1000 + 500);

    @ConfigProperty(name = "proxyvault.topic-prefix")
    String topicPrefix;
    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;
    @Inject
    TestClock clock;
    @Inject
    Pool pool;

    private final ObjectMapper mapper = new ObjectMapper().registerModule(new JavaTimeModule());
    private KafkaConsumer<String, String> events;
    private final List<JsonNode> seen = new ArrayList<>();

    @BeforeEach
    void listen() {
        events = new KafkaConsumer<>(Map.of("bootstrap.servers", bootstrap, "group.id", "fleet-renewal-test-" + UUID.randomUUID(),
                "auto.offset.reset", "earliest"), new StringDeserializer(), new StringDeserializer());
        events.subscribe(List.of(EventTypes.PROXY_PROVISIONED, EventTypes.PROXY_PROVISION_FAILED, EventTypes.PROXY_EXPIRING,
                EventTypes.PROXY_RENEWAL_DUE, EventTypes.PROXY_RENEWED).stream().map(type -> topicPrefix + type).toList());
    }

    @AfterEach
    void stop() {
        events.close();
        clock.reset();
    }

    @Test
    void shouldWalkAMonthlyProxyThroughItsCheckpointsAndRenewItOnce() throws Throwable {
        try (TestAgent agent = new TestAgent(GRPC_PORT)) {
            agent.hello("agent-local-1", "dev-agent-token", 24000, 24010, "r", "LAX");
            assertTrue(agent.next(WAIT).hasWelcome());
            long reseller = IDS.incrementAndGet();
            long order = IDS.incrementAndGet();
            send(reseller, order, null);
            FleetMessage provision = agent.next(WAIT);
            agent.answer(provision, true, "");
            JsonNode provisioned = awaitEvent(EventTypes.PROXY_PROVISIONED, order, 1).get("data");
            long proxyId = provisioned.get("proxy_id").asLong();
            LocalDateTime expiresAt = LocalDateTime.parse(provisioned.get("expires_at").asText());
            String token = "Bearer " + InternalTokens.fleet().reseller(reseller);
            String base = "/v1/reseller/proxies/" + proxyId;
            // the activation wrote the new expiry's checkpoint marks itself (the sweep looks only 24 h ahead, so it
            // would not have touched a monthly proxy yet): the next checkpoint is 24 h before expiry
            Row marks = pool.preparedQuery("select notice_expiry, next_checkpoint_at from proxies where id = $1")
                    .execute(Tuple.of(proxyId)).await().atMost(WAIT).iterator().next();
            assertEquals(expiresAt, marks.getLocalDateTime("notice_expiry"));
            assertEquals(expiresAt.minusHours(24), marks.getLocalDateTime("next_checkpoint_at"));

            given().header("Authorization", token).get(base).then().statusCode(200).body("auto_renew", equalTo(false));
            given().header("Authorization", token).contentType("application/json").body("{\"auto_renew\":\"yes\"}")
                    .patch(base).then().statusCode(422);
            given().header("Authorization", token).contentType("application/json").body("{}")
                    .patch(base).then().statusCode(422).body("detail", org.hamcrest.Matchers.containsString("auto_renew"));
            given().header("Authorization", "Bearer " + InternalTokens.fleet().reseller(reseller + 1))
                    .contentType("application/json").body("{\"auto_renew\":true}").patch(base).then().statusCode(404);

            // 23 h before expiry: past the 24 h checkpoint, auto-renew off → proxy.expiring
            moveClockTo(expiresAt.minusHours(23));
            JsonNode first = awaitEvent(EventTypes.PROXY_EXPIRING, order, 1).get("data");
            assertEquals("auto_renew_off", first.get("reason").asText());
            assertEquals(false, first.get("auto_renew").asBoolean());
            assertEquals(expiresAt, LocalDateTime.parse(first.get("expires_at").asText()));

            // 30 min before: the 1 h checkpoint → a second one, and only a second one
            moveClockTo(expiresAt.minusMinutes(30));
            awaitEvent(EventTypes.PROXY_EXPIRING, order, 2);

            // Auto-renew switched on inside the last checkpoint: a renewal is asked for at once.
            given().header("Authorization", token).contentType("application/json").body("{\"auto_renew\":true}")
                    .patch(base).then().statusCode(200).body("auto_renew", equalTo(true)).body("id", equalTo((int) proxyId));
            JsonNode due = awaitEvent(EventTypes.PROXY_RENEWAL_DUE, order, 1).get("data");
            assertEquals(proxyId, due.get("proxy_id").asLong());
            assertEquals("PT1H", due.get("checkpoint").asText());

            // order-service's renewal order, paid: the same proxy runs a month longer.
            long renewal = IDS.incrementAndGet();
            send(reseller, renewal, proxyId);
            JsonNode renewed = awaitEvent(EventTypes.PROXY_RENEWED, renewal, 1).get("data");
            LocalDateTime extended = expiresAt.plusMonths(1);
            assertEquals(expiresAt, LocalDateTime.parse(renewed.get("previous_expires_at").asText()));
            assertEquals(extended, LocalDateTime.parse(renewed.get("expires_at").asText()));
            String shown = given().header("Authorization", token).get(base).then().statusCode(200)
                    .body("username", equalTo(provision.getProvisionProxy().getUsername()))
                    // a month on the clock without heartbeats (the test agent sends none) may have made it offline:
                    // still running, not ended
                    .body("status", org.hamcrest.Matchers.oneOf("active", "offline"))
                    .extract().path("expires_at");
            assertEquals(extended, LocalDateTime.parse(shown));

            // The same order.paid again (a new event id), then a renewal of a proxy that does not exist: the
            // second is refused, and by then the first has been seen and changed nothing.
            send(reseller, renewal, proxyId);
            long stray = IDS.incrementAndGet();
            send(reseller, stray, proxyId + 1_000_000);
            assertTrue(awaitEvent(EventTypes.PROXY_PROVISION_FAILED, stray, 1).get("data").get("reason").asText().contains("has ended"));
            assertEquals(1, count(EventTypes.PROXY_RENEWED, renewal));
            // A renewal lands past every checkpoint: no new notice or renewal request right after it.
            assertEquals(2, count(EventTypes.PROXY_EXPIRING, order));
            assertEquals(1, count(EventTypes.PROXY_RENEWAL_DUE, order));

            // A renewal that would carry the expiry past 9999-12-31 (the API's timestamps have four-digit years) is
            // refused, so order-service refunds it; the expiry stays (new-user review: "+10443-08-02T03:27:15",
            // then PostgreSQL's infinity, and every later renewal parked unrefunded).
            LocalDateTime lastYear = LocalDateTime.of(9999, 12, 15, 0, 0);
            pool.preparedQuery("update proxies set expires_at = $2 where id = $1").execute(Tuple.of(proxyId, lastYear))
                    .await().atMost(WAIT);
            long tooFar = IDS.incrementAndGet();
            send(reseller, tooFar, proxyId);
            String refused = awaitEvent(EventTypes.PROXY_PROVISION_FAILED, tooFar, 1).get("data").get("reason").asText();
            assertTrue(refused.contains("past 9999-12-31T23:59:59"), refused);
            assertEquals(0, count(EventTypes.PROXY_RENEWED, tooFar));
            assertEquals(lastYear, LocalDateTime.parse(given().header("Authorization", token).get(base).then().statusCode(200)
                    .extract().path("expires_at")));

            // A renewal the fleet fails every time (a test trigger refuses its row) is parked after the last retry, and
            // then refunded rather than left charged: proxy.provision_failed, and the event recorded as processed, so an
            // operator's replay of the dead letter cannot extend the proxy after the refund.
            pool.preparedQuery("update proxies set expires_at = $2 where id = $1").execute(Tuple.of(proxyId, extended))
                    .await().atMost(WAIT);
            long doomed = IDS.incrementAndGet();
            pool.query("""
                    create or replace function pv_test_refuse_renewal() returns trigger language plpgsql as $$
                    begin
                        if new.order_id = %d then raise exception 'test: this renewal always fails'; end if;
                        return new;
                    end $$""".formatted(doomed)).execute().await().atMost(WAIT);
            pool.query("""
                    create trigger pv_test_refuse_renewal before insert on proxy_renewals
                    for each row execute function pv_test_refuse_renewal()""").execute().await().atMost(WAIT);
            try {
                send(reseller, doomed, proxyId);
                String compensated = awaitEvent(EventTypes.PROXY_PROVISION_FAILED, doomed, 1).get("data").get("reason").asText();
                assertTrue(compensated.contains("is refunded"), compensated);
                assertEquals(1L, pool.preparedQuery("""
                                select count(*) from dead_letter_events d join processed_events p
                                  on p.event_id = d.event_id and p.handler = d.handler
                                where d.payload like $1""")
                        .execute(Tuple.of("%\"order_id\":" + doomed + ",%")).await().atMost(WAIT).iterator().next().getLong(0),
                        "parked, and recorded as processed so a replay does nothing");
                assertEquals(0, count(EventTypes.PROXY_RENEWED, doomed));
            } finally {
                pool.query("drop trigger if exists pv_test_refuse_renewal on proxy_renewals").execute().await().atMost(WAIT);
                pool.query("drop function if exists pv_test_refuse_renewal()").execute().await().atMost(WAIT);
            }
        }
    }

    private void moveClockTo(LocalDateTime at) {
        Duration by = Duration.between(clock.instant(), at.toInstant(ZoneOffset.UTC));
        clock.advance(by);
    }

    private void send(long reseller, long orderId, Long renewsProxyId) throws Exception {
        String json = EventJson.write(mapper, EventEnvelope.of(EventTypes.ORDER_PAID, reseller, new OrderPaid(orderId, 1, 3,
                "Multi Hop Proxy", "Monthly", new BigDecimal("225.00"), "month", 1, LocalDateTime.of(2026, 5, 25, 12, 0),
                renewsProxyId)));
        try (var producer = new KafkaProducer<String, String>(Map.of("bootstrap.servers", bootstrap),
                new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(topicPrefix + EventTypes.ORDER_PAID, String.valueOf(reseller), json)).get();
        }
    }

    /** The {@code nth} event of {@code type} for order {@code orderId}, waiting for it. */
    private JsonNode awaitEvent(String type, long orderId, int nth) {
        await().atMost(WAIT).until(() -> {
            for (ConsumerRecord<String, String> record : events.poll(Duration.ofMillis(300))) {
                EventSchemas.assertValid(record.value());
                seen.add(mapper.readTree(record.value()));
            }
            return count(type, orderId) >= nth;
        });
        return seen.stream().filter(e -> matches(e, type, orderId)).skip(nth - 1).findFirst().orElseThrow();
    }

    private long count(String type, long orderId) {
        return seen.stream().filter(e -> matches(e, type, orderId)).count();
    }

    private static boolean matches(JsonNode event, String type, long orderId) {
        return event.get("type").asText().equals(type) && event.get("data").get("order_id").asLong() == orderId;
    }
}
