package com.proxyvault.orders;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.proxyvault.contracts.events.ChargePosted;
import com.proxyvault.contracts.events.ChargeRefused;
import com.proxyvault.contracts.events.EventEnvelope;
import com.proxyvault.contracts.events.EventJson;
import com.proxyvault.contracts.events.EventSchemas;
import com.proxyvault.contracts.events.EventTypes;
import com.proxyvault.contracts.events.ProxyExpired;
import com.proxyvault.contracts.events.ProxyProvisioned;
import com.proxyvault.contracts.events.ProxyRenewalDue;
import com.proxyvault.contracts.events.ProxyRenewed;
import com.proxyvault.platform.auth.InternalTokens;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Renewal orders (docs/money.md, "Renewals") against real PostgreSQL and Kafka, with billing stubbed over
 * HTTP and the fleet's events produced by the test: a reseller's renewal of an active proxy, the
 * auto-renewal the fleet asks for (charged through billing by event), and one billing refuses.
 */
@QuarkusTest
@WithTestResource(BillingStub.class)
class RenewalOrderTest {

    private static final AtomicLong IDS = new AtomicLong(System.nanoTime() % 1_000_000 * 1000 + 700);
    private static final Duration WAIT = Duration.ofSeconds(30);
    private final ObjectMapper mapper = new ObjectMapper().registerModule(new JavaTimeModule());
    private final LocalDateTime expiresAt = LocalDateTime.now().plusDays(30).truncatedTo(ChronoUnit.SECONDS);

    @Inject
    Pool pool;
    @Inject
    TestClock clock;

    @AfterEach
    void reset() {
        clock.reset();
        BillingStub.mode = BillingStub.Mode.UP;
        BillingStub.insufficient = false;
    }

    private static String auth(long reseller) {
        return "Bearer " + InternalTokens.orders().reseller(reseller);
    }

    private static JsonPath order(long reseller, long orderId) {
        return given().header("Authorization", auth(reseller)).get("/v1/reseller/orders/" + orderId)
                .then().statusCode(200).extract().jsonPath();
    }

    /** A paid monthly order whose proxy the fleet provisioned: returns the order id; the proxy is {@code proxyId}. */
    private long activeProxy(long reseller, long proxyId) throws Exception {
        long orderId = given().header("Authorization", auth(reseller)).contentType(ContentType.JSON)
                .body(Map.of("product_id", 1, "pricing_id", 3)).post("/v1/reseller/orders")
                .then().statusCode(201).body("kind", equalTo("purchase")).extract().jsonPath().getLong("id");
        given().header("Authorization", auth(reseller)).post("/v1/reseller/orders/" + orderId + "/pay").then().statusCode(200);
        produce(EventTypes.PROXY_PROVISIONED, reseller, new ProxyProvisioned(proxyId, orderId, "5E9F-2026-11-30",
                "127.0.0.1", 10001, "u" + proxyId, "p" + proxyId, "LAX", "active", expiresAt));
        await().atMost(WAIT).until(() -> "active".equals(order(reseller, orderId).getString("status")));
        return orderId;
    }

    private void produce(String type, long reseller, Object data) throws Exception {
        Events.produce(type, reseller, EventJson.write(mapper, EventEnvelope.of(type, reseller, data)));
    }

    @Test
    void shouldAnswerTheRenewalAKeyCreatedToEveryRequestWithThatKey() throws Exception {
        long reseller = IDS.incrementAndGet();
        long proxyId = IDS.incrementAndGet();
        activeProxy(reseller, proxyId);
        String key = java.util.UUID.randomUUID().toString();
        long first = given().header("Authorization", auth(reseller)).header("Idempotency-Key", key).contentType(ContentType.JSON)
                .body(Map.of("proxy_id", proxyId, "pricing_id", 2)).post("/v1/reseller/orders")
                .then().statusCode(201).body("kind", equalTo("renewal")).extract().jsonPath().getLong("id");
        // a retry the gateway forwards again after giving up on the first (docs/api.md "What the services keep")
        given().header("Authorization", auth(reseller)).header("Idempotency-Key", key).contentType(ContentType.JSON)
                .body(Map.of("proxy_id", proxyId, "pricing_id", 2)).post("/v1/reseller/orders")
                .then().statusCode(201).body("id", equalTo((int) first));
        assertEquals(List.of(first), renewals(reseller, proxyId), "one renewal order per key");
        given().header("Authorization", auth(reseller)).header("Idempotency-Key", key).contentType(ContentType.JSON)
                .body(Map.of("proxy_id", proxyId, "pricing_id", 3)).post("/v1/reseller/orders")
                .then().statusCode(422).body("code", equalTo("idempotency_key_reused"));
        given().header("Authorization", auth(reseller)).header("Idempotency-Key", key).contentType(ContentType.JSON)
                .body(Map.of("product_id", 1, "pricing_id", 2)).post("/v1/reseller/orders")
                .then().statusCode(422).body("code", equalTo("idempotency_key_reused"));
    }

    /**
     * The key lives as long as the gateway's (24 h): 23 h on, a request with it answers the first renewal; 24 h on,
     * the gateway forwards it as new and it is a new renewal order, which then holds the key.
     */
    @Test
    void shouldRunARenewalWithAKeyAsNewOnceTheKeyIs24HoursOld() throws Exception {
        long reseller = IDS.incrementAndGet();
        long proxyId = IDS.incrementAndGet();
        activeProxy(reseller, proxyId);
        String key = java.util.UUID.randomUUID().toString();
        Map<String, Long> body = Map.of("proxy_id", proxyId, "pricing_id", 2L);
        long first = given().header("Authorization", auth(reseller)).header("Idempotency-Key", key).contentType(ContentType.JSON)
                .body(body).post("/v1/reseller/orders").then().statusCode(201).extract().jsonPath().getLong("id");
        clock.advance(Duration.ofHours(23));
        given().header("Authorization", auth(reseller)).header("Idempotency-Key", key).contentType(ContentType.JSON)
                .body(body).post("/v1/reseller/orders").then().statusCode(201).body("id", equalTo((int) first));
        clock.advance(Duration.ofHours(1));
        long second = given().header("Authorization", auth(reseller)).header("Idempotency-Key", key).contentType(ContentType.JSON)
                .body(body).post("/v1/reseller/orders")
                .then().statusCode(201).body("kind", equalTo("renewal")).body("status", equalTo("pending_payment"))
                .extract().jsonPath().getLong("id");
        assertEquals(List.of(second, first), renewals(reseller, proxyId), "a new renewal order once the key is forgotten (newest first)");
        given().header("Authorization", auth(reseller)).header("Idempotency-Key", key).contentType(ContentType.JSON)
                .body(body).post("/v1/reseller/orders").then().statusCode(201).body("id", equalTo((int) second));
    }

    /**
     * Renewals with one key at the same moment: one renewal order per key, the 201 of it to every request
     * ({@link SameKeyRace}); the rounds renew one proxy, each under a fresh key.
     */
    @Test
    void shouldAnswerRenewalsWithOneKeyAtTheSameMomentWithOneOrder() throws Exception {
        long reseller = IDS.incrementAndGet();
        long proxyId = IDS.incrementAndGet();
        activeProxy(reseller, proxyId);
        SameKeyRace.run(pool, reseller, "renewal", i -> Map.of("proxy_id", proxyId, "pricing_id", 2));
        assertEquals(SameKeyRace.ROUNDS, renewals(reseller, proxyId).size(), "one renewal order per round");
    }

    /**
     * Renewals with one key at the same moment, half of them on another tier: whichever creates the renewal, the
     * requests for its tier get it and the others 422, as they would one after another ({@link SameKeyRace}).
     */
    @Test
    void shouldAnswerRenewalsWithOneKeyAndTwoBodiesAtTheSameMomentAsOneAfterAnother() throws Exception {
        long reseller = IDS.incrementAndGet();
        long proxyId = IDS.incrementAndGet();
        activeProxy(reseller, proxyId);
        SameKeyRace.run(pool, reseller, "renewal", i -> Map.of("proxy_id", proxyId, "pricing_id", 2 + i % 2));
    }

    @Test
    void shouldRenewAnActiveProxyThroughAPaidRenewalOrder() throws Exception {
        long reseller = IDS.incrementAndGet();
        long proxyId = IDS.incrementAndGet();
        long purchase = activeProxy(reseller, proxyId);
        String renew = "/v1/reseller/orders";

        // What cannot be renewed, and how it is told.
        given().header("Authorization", auth(reseller)).contentType(ContentType.JSON)
                .body(Map.of("proxy_id", proxyId, "product_id", 1, "pricing_id", 2)).post(renew)
                .then().statusCode(422).body("detail", containsString("not both"));
        given().header("Authorization", auth(reseller)).contentType(ContentType.JSON)
                .body(Map.of("proxy_id", proxyId + 1_000_000, "pricing_id", 2)).post(renew)
                .then().statusCode(404).body("detail", equalTo("Proxy not found"));
        given().header("Authorization", auth(reseller + 1_000_000)).contentType(ContentType.JSON)
                .body(Map.of("proxy_id", proxyId, "pricing_id", 2)).post(renew)
                .then().statusCode(404).body("detail", equalTo("Proxy not found"));
        given().header("Authorization", auth(reseller)).contentType(ContentType.JSON)
                .body(Map.of("proxy_id", proxyId, "pricing_id", 99)).post(renew).then().statusCode(404);
        given().header("Authorization", auth(reseller)).contentType(ContentType.JSON)
                .body(Map.of("proxy_id", "5", "pricing_id", 2)).post(renew).then().statusCode(422);

        // A renewal order: the tier's price, the proxy it extends, paid like any order.
        JsonPath created = given().header("Authorization", auth(reseller)).contentType(ContentType.JSON)
                .body(Map.of("proxy_id", proxyId, "pricing_id", 2)).post(renew)
                .then().statusCode(201).extract().jsonPath();
        long renewal = created.getLong("id");
        assertEquals("renewal", created.getString("kind"));
        assertEquals(proxyId, created.getLong("proxy_id"));
        assertEquals("20.00", created.getString("amount_usd"));
        assertEquals("pending_payment", created.getString("status"));
        given().header("Authorization", auth(reseller)).post("/v1/reseller/orders/" + renewal + "/pay").then().statusCode(200);
        List<String> paid = Events.ofOrder(EventTypes.ORDER_PAID, renewal);
        assertEquals(1, paid.size());
        EventSchemas.assertValid(paid.get(0));
        assertEquals(proxyId, mapper.readTree(paid.get(0)).at("/data/renews_proxy_id").asLong());
        assertTrue(mapper.readTree(Events.ofOrder(EventTypes.ORDER_PAID, purchase).get(0)).at("/data/renews_proxy_id").isMissingNode(),
                "a purchase's order.paid names no proxy to renew");

        // The fleet moved expires_at: the renewal is active and every active order of the proxy shows the new end.
        LocalDateTime extended = expiresAt.plusDays(1);
        produce(EventTypes.PROXY_RENEWED, reseller, new ProxyRenewed(proxyId, renewal, expiresAt, extended));
        await().atMost(WAIT).until(() -> "active".equals(order(reseller, renewal).getString("status")));
        assertEquals(extended, LocalDateTime.parse(order(reseller, renewal).getString("expires_at")));
        assertEquals(extended, LocalDateTime.parse(order(reseller, purchase).getString("expires_at")));

        // The proxy ends: its purchase and its active renewals end with it, and it can no longer be renewed.
        produce(EventTypes.PROXY_EXPIRED, reseller, new ProxyExpired(proxyId, purchase, extended));
        await().atMost(WAIT).until(() -> "expired".equals(order(reseller, renewal).getString("status")));
        assertEquals("expired", order(reseller, purchase).getString("status"));
        given().header("Authorization", auth(reseller)).contentType(ContentType.JSON)
                .body(Map.of("proxy_id", proxyId, "pricing_id", 2)).post(renew)
                .then().statusCode(409).body("detail", containsString("active"));
    }

    @Test
    void shouldAutoRenewThroughBillingAndCancelARenewalBillingRefuses() throws Exception {
        long reseller = IDS.incrementAndGet();
        long proxyId = IDS.incrementAndGet();
        long purchase = activeProxy(reseller, proxyId);

        // The fleet's checkpoint, delivered twice: one renewal order on the purchase's tier, one charge request.
        String due = EventJson.write(mapper, EventEnvelope.of(EventTypes.PROXY_RENEWAL_DUE, reseller,
                new ProxyRenewalDue(proxyId, purchase, expiresAt, "PT24H")));
        Events.produce(EventTypes.PROXY_RENEWAL_DUE, reseller, due);
        Events.produce(EventTypes.PROXY_RENEWAL_DUE, reseller, due);
        await().atMost(WAIT).until(() -> renewals(reseller, proxyId).size() == 1);
        long renewal = renewals(reseller, proxyId).get(0);
        JsonPath created = order(reseller, renewal);
        assertEquals("pending_payment", created.getString("status"));
        assertEquals("225.00", created.getString("amount_usd"));
        List<String> requested = Events.ofOrder(EventTypes.CHARGE_REQUESTED, renewal);
        assertEquals(1, requested.size(), "one charge request per renewal");
        EventSchemas.assertValid(requested.get(0));
        assertEquals("order:" + renewal, mapper.readTree(requested.get(0)).at("/data/reference").asText());
        assertEquals("225.00", mapper.readTree(requested.get(0)).at("/data/amount").asText());

        // The same expiry asked again before it moved (the 1 h checkpoint; or auto_renew switched off and on, which
        // clears the fleet's marks, on two replicas: a new-user review charged one period twice): no second renewal.
        produce(EventTypes.PROXY_RENEWAL_DUE, reseller, new ProxyRenewalDue(proxyId, purchase, expiresAt, "PT1H"));
        // Then another proxy's checkpoint (same reseller: same partition, consumed after it): once its renewal is
        // there, the repeat was consumed, and the proxy still has its one renewal.
        long marker = IDS.incrementAndGet();
        long markerPurchase = activeProxy(reseller, marker);
        produce(EventTypes.PROXY_RENEWAL_DUE, reseller, new ProxyRenewalDue(marker, markerPurchase, expiresAt, "PT1H"));
        await().atMost(WAIT).until(() -> !renewals(reseller, marker).isEmpty());
        assertEquals(List.of(renewal), renewals(reseller, proxyId), "the first renewal only");

        // billing posted it: paid, and order.paid asks the fleet to extend the proxy.
        produce(EventTypes.CHARGE_POSTED, reseller, new ChargePosted("order:" + renewal, new BigDecimal("225.00"),
                new BigDecimal("0.00"), LocalDateTime.now().truncatedTo(ChronoUnit.SECONDS)));
        await().atMost(WAIT).until(() -> "paid".equals(order(reseller, renewal).getString("status")));
        assertEquals(proxyId, mapper.readTree(Events.ofOrder(EventTypes.ORDER_PAID, renewal).get(0)).at("/data/renews_proxy_id").asLong());

        // The next period's checkpoint (the fleet moved the expiry): its renewal is refused for the balance:
        // cancelled, and order.cancelled names the proxy.
        LocalDateTime next = expiresAt.plusDays(30);
        produce(EventTypes.PROXY_RENEWAL_DUE, reseller, new ProxyRenewalDue(proxyId, purchase, next, "PT24H"));
        await().atMost(WAIT).until(() -> renewals(reseller, proxyId).size() == 2);
        long refused = renewals(reseller, proxyId).get(0);
        produce(EventTypes.CHARGE_REFUSED, reseller, new ChargeRefused(refused, "order:" + refused,
                new BigDecimal("225.00"), ChargeRefused.INSUFFICIENT_BALANCE));
        await().atMost(WAIT).until(() -> "cancelled".equals(order(reseller, refused).getString("status")));
        assertEquals("Insufficient balance", order(reseller, refused).getString("failure_reason"));
        List<String> cancelled = Events.ofOrder(EventTypes.ORDER_CANCELLED, refused);
        assertEquals(1, cancelled.size());
        EventSchemas.assertValid(cancelled.get(0));
        assertEquals(proxyId, mapper.readTree(cancelled.get(0)).at("/data/proxy_id").asLong());
        assertEquals("insufficient_balance", mapper.readTree(cancelled.get(0)).at("/data/reason").asText());

        // A cancelled renewal does not hold its expiry: auto-renew switched on again after a top-up renews it.
        produce(EventTypes.PROXY_RENEWAL_DUE, reseller, new ProxyRenewalDue(proxyId, purchase, next, "PT1H"));
        await().atMost(WAIT).until(() -> renewals(reseller, proxyId).size() == 3);
    }

    /** The reseller's renewal orders of proxy {@code proxyId}, newest first. */
    private static List<Long> renewals(long reseller, long proxyId) {
        JsonPath page = given().header("Authorization", auth(reseller)).get("/v1/reseller/orders")
                .then().statusCode(200).extract().jsonPath();
        return page.<Object>getList("orders.findAll { it.kind == 'renewal' && it.proxy_id == " + proxyId + " }.id").stream()
                .map(id -> ((Number) id).longValue()).toList();
    }
}
