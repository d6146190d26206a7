package com.proxyvault.orders;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.proxyvault.contracts.events.ChargePosted;
import com.proxyvault.contracts.events.EventEnvelope;
import com.proxyvault.contracts.events.EventJson;
import com.proxyvault.contracts.events.EventTypes;
import com.proxyvault.platform.auth.InternalTokens;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * The {@code Idempotency-Key} the gateway forwards (docs/api.md "Idempotency-Key", "What the services keep"): stored
 * with the order it creates and with the pay of a pending order, so that a retry the gateway forwards again after it
 * gave up on the first request (its 10 s upstream timeout; the first may still finish here) finds what that one did
 * (new-user review, stop 32, M1 and M2). Real PostgreSQL and Kafka; billing is {@link BillingStub}.
 */
@QuarkusTest
@WithTestResource(BillingStub.class)
class IdempotencyKeyTest {

    private static final AtomicLong RESELLERS = new AtomicLong(System.nanoTime() % 1_000_000 * 1000 + 300);
    private static final String ORDERS = "/v1/reseller/orders";

    @Inject
    Pool pool;
    @Inject
    TestClock clock;

    private final ObjectMapper mapper = new ObjectMapper().registerModule(new JavaTimeModule());

    @AfterEach
    void resetStub() {
        clock.reset();
        BillingStub.delayMillis = 0;
        BillingStub.mode = BillingStub.Mode.UP;
    }

    private static String auth(long reseller) {
        return "Bearer " + InternalTokens.orders().reseller(reseller);
    }

    private long ordersOf(long reseller) {
        return pool.preparedQuery("select count(*) from orders where reseller_id = $1").execute(Tuple.of(reseller))
                .await().indefinitely().iterator().next().getLong(0);
    }

    /** A new pending order of product 1, pricing 2 (20.00 USD) for {@code reseller}: its id. */
    private static long newOrder(long reseller) {
        return given().header("Authorization", auth(reseller)).contentType(ContentType.JSON)
                .body(Map.of("product_id", 1, "pricing_id", 2)).post(ORDERS).then().statusCode(201).extract().jsonPath().getLong("id");
    }

    /** billing's charge.posted of the order's 20.00 charge, with {@code balanceAfter} the balance right after it. */
    private void announceCharge(long reseller, long orderId, String balanceAfter) throws Exception {
        Events.produce(EventTypes.CHARGE_POSTED, reseller, EventJson.write(mapper, EventEnvelope.of(EventTypes.CHARGE_POSTED,
                reseller, new ChargePosted("order:" + orderId, new BigDecimal("20.00"), new BigDecimal(balanceAfter),
                        LocalDateTime.of(2026, 12, 3, 8, 0)))));
    }

    @Test
    void shouldAnswerTheOrderAKeyCreatedToEveryRequestWithThatKey() {
        long reseller = RESELLERS.incrementAndGet();
        String key = UUID.randomUUID().toString();
        long first = given().header("Authorization", auth(reseller)).header("Idempotency-Key", key).contentType(ContentType.JSON)
                .body(Map.of("product_id", 1, "pricing_id", 2)).post(ORDERS)
                .then().statusCode(201).extract().jsonPath().getLong("id");
        // the same request again (the gateway forwards it once it released the key after a 503): the same order
        given().header("Authorization", auth(reseller)).header("Idempotency-Key", key).contentType(ContentType.JSON)
                .body(Map.of("product_id", 1, "pricing_id", 2)).post(ORDERS)
                .then().statusCode(201).body("id", equalTo((int) first)).body("status", equalTo("pending_payment"));
        assertEquals(1, ordersOf(reseller), "one order per key");
        // another request with the key: refused as the gateway refuses a key reused with another body
        given().header("Authorization", auth(reseller)).header("Idempotency-Key", key).contentType(ContentType.JSON)
                .body(Map.of("product_id", 1, "pricing_id", 3)).post(ORDERS)
                .then().statusCode(422).body("code", equalTo("idempotency_key_reused"));
        given().header("Authorization", auth(reseller)).header("Idempotency-Key", key).contentType(ContentType.JSON)
                .body(Map.of("product_id", 1, "pricing_id", 2, "location_id", "LAX")).post(ORDERS)
                .then().statusCode(422).body("code", equalTo("idempotency_key_reused"));
        // keys are per reseller, and no key is no deduplication
        given().header("Authorization", auth(reseller + 1)).header("Idempotency-Key", key).contentType(ContentType.JSON)
                .body(Map.of("product_id", 1, "pricing_id", 2)).post(ORDERS).then().statusCode(201);
        given().header("Authorization", auth(reseller)).contentType(ContentType.JSON)
                .body(Map.of("product_id", 1, "pricing_id", 2)).post(ORDERS).then().statusCode(201);
        assertEquals(2, ordersOf(reseller));
        given().header("Authorization", auth(reseller)).header("Idempotency-Key", "k".repeat(256)).contentType(ContentType.JSON)
                .body(Map.of("product_id", 1, "pricing_id", 2)).post(ORDERS).then().statusCode(422);
    }

    /**
     * The key lives as long as the gateway's (24 h, ForwardedIdempotencyKey.RETENTION): 23 h on, a request with it
     * still answers the first order; 24 h on, the gateway has forgotten it and forwards the request as new, so it is a
     * new purchase (not the old, maybe cancelled order, nor 422 for another body), and the new order holds the key.
     */
    @Test
    void shouldRunAPurchaseWithAKeyAsNewOnceTheKeyIs24HoursOld() {
        long reseller = RESELLERS.incrementAndGet();
        long before = ordersOf(reseller); // another test's "another reseller" may be this one
        String key = UUID.randomUUID().toString();
        long first = given().header("Authorization", auth(reseller)).header("Idempotency-Key", key).contentType(ContentType.JSON)
                .body(Map.of("product_id", 1, "pricing_id", 2)).post(ORDERS)
                .then().statusCode(201).extract().jsonPath().getLong("id");
        clock.advance(Duration.ofHours(23));
        given().header("Authorization", auth(reseller)).header("Idempotency-Key", key).contentType(ContentType.JSON)
                .body(Map.of("product_id", 1, "pricing_id", 2)).post(ORDERS)
                .then().statusCode(201).body("id", equalTo((int) first));
        given().header("Authorization", auth(reseller)).header("Idempotency-Key", key).contentType(ContentType.JSON)
                .body(Map.of("product_id", 1, "pricing_id", 3)).post(ORDERS)
                .then().statusCode(422).body("code", equalTo("idempotency_key_reused"));

        clock.advance(Duration.ofHours(1));
        // another body is a new purchase now, not 422, and the key is that order's from then on
        long second = given().header("Authorization", auth(reseller)).header("Idempotency-Key", key).contentType(ContentType.JSON)
                .body(Map.of("product_id", 1, "pricing_id", 3)).post(ORDERS)
                .then().statusCode(201).body("status", equalTo("pending_payment")).body("pricing_id", equalTo(3))
                .extract().jsonPath().getLong("id");
        assertNotEquals(first, second);
        given().header("Authorization", auth(reseller)).header("Idempotency-Key", key).contentType(ContentType.JSON)
                .body(Map.of("product_id", 1, "pricing_id", 3)).post(ORDERS)
                .then().statusCode(201).body("id", equalTo((int) second));
        given().header("Authorization", auth(reseller)).header("Idempotency-Key", key).contentType(ContentType.JSON)
                .body(Map.of("product_id", 1, "pricing_id", 2)).post(ORDERS)
                .then().statusCode(422).body("code", equalTo("idempotency_key_reused"));
        assertEquals(before + 2, ordersOf(reseller));
    }

    /** Purchases with one key at the same moment: one order, the 201 of it to every request ({@link SameKeyRace}). */
    @Test
    void shouldAnswerPurchasesWithOneKeyAtTheSameMomentWithOneOrder() {
        SameKeyRace.run(pool, RESELLERS.incrementAndGet(), "purchase", i -> Map.of("product_id", 1, "pricing_id", 2));
    }

    /**
     * Purchases with one key at the same moment, half of them for another pricing: whichever creates the order, the
     * requests for its pricing get it and the others 422, as they would one after another ({@link SameKeyRace}).
     */
    @Test
    void shouldAnswerPurchasesWithOneKeyAndTwoBodiesAtTheSameMomentAsOneAfterAnother() {
        SameKeyRace.run(pool, RESELLERS.incrementAndGet(), "purchase", i -> Map.of("product_id", 1, "pricing_id", 2 + i % 2));
    }

    @Test
    void shouldAnswerAPayRetriedWithItsKeyAsThePayThatChargedTheOrder() {
        long reseller = RESELLERS.incrementAndGet();
        long orderId = newOrder(reseller);
        String key = UUID.randomUUID().toString();
        String pay = ORDERS + "/" + orderId + "/pay";
        given().header("Authorization", auth(reseller)).header("Idempotency-Key", key).post(pay)
                .then().statusCode(200).body("status", equalTo("paid")).body("new_balance", equalTo("80.00"));
        // the gateway stores that answer; should it not have (it gave up first), the retry gets it from here
        given().header("Authorization", auth(reseller)).header("Idempotency-Key", key).post(pay)
                .then().statusCode(200).body("order_id", equalTo((int) orderId)).body("status", equalTo("paid"))
                .body("new_balance", equalTo("80.00"));
        given().header("Authorization", auth(reseller)).header("Idempotency-Key", "another").post(pay).then().statusCode(409);
        given().header("Authorization", auth(reseller)).post(pay).then().statusCode(409);
        assertEquals(1, BillingStub.posted.keySet().stream().filter(r -> r.equals("order:" + orderId)).count());
    }

    /**
     * A pay's key answers for 24 h from the order's paid_at, as long as the gateway keeps it: 23 h on the retry still
     * gets the paying 200; 24 h on the gateway forwards it as a new pay, and a pay of a paid order is 409.
     */
    @Test
    void shouldAnswerAPayWithItsKeyAsAnyPayOfAPaidOrderOnceTheKeyIs24HoursOld() {
        long reseller = RESELLERS.incrementAndGet();
        long orderId = newOrder(reseller);
        String key = UUID.randomUUID().toString();
        String pay = ORDERS + "/" + orderId + "/pay";
        given().header("Authorization", auth(reseller)).header("Idempotency-Key", key).post(pay)
                .then().statusCode(200).body("new_balance", equalTo("80.00"));
        clock.advance(Duration.ofHours(23));
        given().header("Authorization", auth(reseller)).header("Idempotency-Key", key).post(pay)
                .then().statusCode(200).body("order_id", equalTo((int) orderId)).body("new_balance", equalTo("80.00"));
        clock.advance(Duration.ofHours(1));
        given().header("Authorization", auth(reseller)).header("Idempotency-Key", key).post(pay)
                .then().statusCode(409).body("code", equalTo("conflict"))
                .body("detail", equalTo("Order is not pending payment (status: paid)"));
        assertEquals(1, BillingStub.posted.keySet().stream().filter(r -> r.equals("order:" + orderId)).count());
    }

    @Test
    void shouldTellAPayWhoseChargeTimedOutThatItMayHaveBeenChargedAndAnswerTheRetryWithTheOutcome() throws Exception {
        long reseller = RESELLERS.incrementAndGet();
        long orderId = newOrder(reseller);
        String key = UUID.randomUUID().toString();
        String pay = ORDERS + "/" + orderId + "/pay";
        // billing is slow: it posts the charge after this service's 5 s read timeout
        BillingStub.delayMillis = 6_000;
        given().header("Authorization", auth(reseller)).header("Idempotency-Key", key).post(pay)
                .then().statusCode(503).body("detail", containsString("may have been charged"))
                .body("detail", containsString("same Idempotency-Key"));
        BillingStub.delayMillis = 0;
        // billing's charge.posted marks the order paid (the backstop), with the balance after the charge
        announceCharge(reseller, orderId, "61.50");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().header("Authorization", auth(reseller))
                .get(ORDERS + "/" + orderId).then().body("status", equalTo("paid")));
        // the retry with the key learns the outcome: 200 as the charge's pay would have answered, not 409
        given().header("Authorization", auth(reseller)).header("Idempotency-Key", key).post(pay)
                .then().statusCode(200).body("order_id", equalTo((int) orderId)).body("status", equalTo("paid"))
                .body("new_balance", equalTo("61.50"));
        // another key, or none, is another pay of a paid order
        given().header("Authorization", auth(reseller)).header("Idempotency-Key", key + "-2").post(pay).then().statusCode(409);
        given().header("Authorization", auth(reseller)).post(pay).then().statusCode(409);
    }

    @Test
    void shouldAnswerAKeyedRetryThatOnlyReplayedTheChargeOnceChargePostedBringsTheBalance() throws Exception {
        long reseller = RESELLERS.incrementAndGet();
        long orderId = newOrder(reseller);
        String key = UUID.randomUUID().toString();
        String pay = ORDERS + "/" + orderId + "/pay";
        BillingStub.delayMillis = 6_000;
        given().header("Authorization", auth(reseller)).header("Idempotency-Key", key).post(pay).then().statusCode(503);
        BillingStub.delayMillis = 0;
        // retried at once, before charge.posted: billing only replays the charge (no balance after it), and the order
        // is marked paid by this retry; the answer is a 5xx (the gateway stores a 4xx under the key for good)
        given().header("Authorization", auth(reseller)).header("Idempotency-Key", key).post(pay)
                .then().statusCode(503).header("Retry-After", equalTo("2"));
        given().header("Authorization", auth(reseller)).get(ORDERS + "/" + orderId).then().body("status", equalTo("paid"));
        // charge.posted of the first request's charge, for an order already paid: it brings the balance after the
        // charge, and the retry answers as the paying request would have (static review, stop 32, H1)
        announceCharge(reseller, orderId, "42.00");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().header("Authorization", auth(reseller))
                .header("Idempotency-Key", key).post(pay).then().statusCode(200).body("new_balance", equalTo("42.00")));
    }

    @Test
    void shouldNotAnswerAKeyThatDidNotChargeTheOrderAsIfItHad() {
        long reseller = RESELLERS.incrementAndGet();
        long orderId = newOrder(reseller);
        String pay = ORDERS + "/" + orderId + "/pay";
        // a keyed pay that billing refused with an error (nothing charged) notes its key ...
        BillingStub.mode = BillingStub.Mode.FAILING;
        given().header("Authorization", auth(reseller)).header("Idempotency-Key", "k-1").post(pay).then().statusCode(503);
        BillingStub.mode = BillingStub.Mode.UP;
        // ... then a pay without a key charges the order: that request's (no) key is the paying one
        given().header("Authorization", auth(reseller)).post(pay).then().statusCode(200);
        given().header("Authorization", auth(reseller)).header("Idempotency-Key", "k-1").post(pay).then().statusCode(409);
    }

    @Test
    void shouldSayAnOrderWasNotChargedOnlyWhenBillingAnsweredAnError() {
        long reseller = RESELLERS.incrementAndGet();
        long orderId = newOrder(reseller);
        BillingStub.mode = BillingStub.Mode.FAILING;
        String detail = given().header("Authorization", auth(reseller)).post(ORDERS + "/" + orderId + "/pay")
                .then().statusCode(503).extract().jsonPath().getString("detail");
        assertEquals("Billing is unavailable, the order was not charged: try again", detail);
        // billing took the request and dropped the connection: it may have posted the charge
        BillingStub.mode = BillingStub.Mode.DROP;
        String dropped = given().header("Authorization", auth(reseller)).post(ORDERS + "/" + orderId + "/pay")
                .then().statusCode(503).extract().jsonPath().getString("detail");
        assertNotEquals(detail, dropped);
    }
}
