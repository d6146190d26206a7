package com.proxyvault.orders;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.proxyvault.platform.auth.InternalTokens;
import com.proxyvault.contracts.events.ChargePosted;
import com.proxyvault.contracts.events.EventEnvelope;
import com.proxyvault.contracts.events.EventJson;
import com.proxyvault.contracts.events.EventSchemas;
import com.proxyvault.contracts.events.EventTypes;
import com.proxyvault.contracts.events.ProxyProvisionFailed;
import com.proxyvault.contracts.events.ProxyProvisioned;
import com.proxyvault.contracts.events.ProxyProvisioning;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertEquals;

@QuarkusTest
@WithTestResource(BillingStub.class)
class OrderFlowTest {

    private static final AtomicLong RESELLERS = new AtomicLong(System.nanoTime() % 1_000_000 * 1000);

    @ConfigProperty(name = "proxyvault.topic-prefix")
    String topicPrefix;
    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    private final ObjectMapper mapper = new ObjectMapper().registerModule(new JavaTimeModule());

    @AfterEach
    void resetStub() {
        BillingStub.insufficient = false;
        BillingStub.delayMillis = 0;
        BillingStub.mode = BillingStub.Mode.UP;
    }

    private static String auth(long reseller) {
        return "Bearer " + InternalTokens.orders().reseller(reseller);
    }

    private long createOrder(long reseller, int pricingId) {
        return given().header("Authorization", auth(reseller)).contentType(ContentType.JSON)
                .body(Map.of("product_id", 1, "pricing_id", pricingId))
                .post("/v1/reseller/orders")
                .then().statusCode(201)
                .body("status", equalTo("pending_payment"))
                .extract().jsonPath().getLong("id");
    }

    @Test
    void shouldListTheSeededCatalog() {
        given().header("Authorization", auth(1)).get("/v1/reseller/products")
                .then().statusCode(200)
                .body("products", hasSize(1))
                .body("products[0].id", equalTo(1))
                .body("products[0].name", equalTo("Multi Hop Proxy"))
                .body("products[0].pricing[1].label", equalTo("24 Hour"))
                .body("products[0].pricing[1].price", equalTo("20.00"))
                .body("products[0].pricing[1].period_type", equalTo("day"))
                .body("products[0].pricing[1].period_duration", equalTo(1))
                .body("products[0].pricing[2].price", equalTo("225.00"));
    }

    @Test
    void shouldRefuseCallersWithoutTheInternalToken() {
        given().get("/v1/reseller/products").then().statusCode(401).body("detail", equalTo("Not authenticated"));
        given().header("Authorization", "Bearer rv_not_a_jwt").get("/v1/reseller/orders")
                .then().statusCode(401).body("detail", equalTo("Not authenticated"));
    }

    @Test
    void shouldSnapshotThePriceIntoANewOrder() {
        long reseller = RESELLERS.incrementAndGet();
        given().header("Authorization", auth(reseller)).contentType(ContentType.JSON)
                .body(Map.of("product_id", 1, "pricing_id", 3))
                .post("/v1/reseller/orders")
                .then().statusCode(201)
                .body("product_name", equalTo("Multi Hop Proxy"))
                .body("pricing_label", equalTo("Monthly"))
                .body("amount_usd", equalTo("225.00"))
                .body("status", equalTo("pending_payment"))
                .body("created_at", org.hamcrest.Matchers.matchesPattern("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d"));
    }

    @Test
    void shouldAnswerBadOrderInputWithADetail() {
        long reseller = RESELLERS.incrementAndGet();
        given().header("Authorization", auth(reseller)).contentType(ContentType.JSON).body("{\"product_id\": 1")
                .post("/v1/reseller/orders").then().statusCode(400).body("detail", org.hamcrest.Matchers.startsWith("Malformed JSON"));
        given().header("Authorization", auth(reseller)).contentType(ContentType.JSON).body(Map.of("product_id", 1))
                .post("/v1/reseller/orders").then().statusCode(422);
        given().header("Authorization", auth(reseller)).contentType(ContentType.JSON).body(Map.of("product_id", 99, "pricing_id", 1))
                .post("/v1/reseller/orders").then().statusCode(404).body("detail", equalTo("Product not found"));
        given().header("Authorization", auth(reseller)).contentType(ContentType.JSON).body(Map.of("product_id", 1, "pricing_id", 99))
                .post("/v1/reseller/orders").then().statusCode(404);
        given().header("Authorization", auth(reseller)).contentType(ContentType.JSON).body("{\"product_id\": 1.5, \"pricing_id\": 1}")
                .post("/v1/reseller/orders").then().statusCode(422).body("detail", org.hamcrest.Matchers.startsWith("product_id"));
        given().header("Authorization", auth(reseller)).contentType(ContentType.JSON).body("{\"product_id\": 99999999999999999999999, \"pricing_id\": 1}")
                .post("/v1/reseller/orders").then().statusCode(422).body("detail", org.hamcrest.Matchers.containsString("out of range"));
        given().header("Authorization", auth(reseller)).contentType(ContentType.JSON).body("[1, 2]")
                .post("/v1/reseller/orders").then().statusCode(422);
        given().header("Authorization", auth(reseller)).get("/v1/reseller/orders?status=bogus").then().statusCode(422);
        given().header("Authorization", auth(reseller)).get("/v1/reseller/orders?limit=abc").then().statusCode(422);
        given().header("Authorization", auth(reseller)).get("/v1/reseller/orders/abc").then().statusCode(404);
        given().header("Authorization", auth(reseller)).get("/v1/reseller/nothing-here").then().statusCode(404).body("detail", equalTo("Not Found"));
    }

    /**
     * Pay takes no body (the seed sends none) or {@code {}}; anything else is refused before any money moves
     * (new-user review: {@code {"x":1}} paid, a text/plain body and broken JSON were 409 or 200).
     */
    @Test
    void shouldJudgeThePayBodyBeforeAnyMoneyMoves() {
        long reseller = RESELLERS.incrementAndGet();
        long orderId = createOrder(reseller, 1);
        String pay = "/v1/reseller/orders/" + orderId + "/pay";
        given().header("Authorization", auth(reseller)).contentType(ContentType.JSON).body("{\"x\":1}").post(pay)
                .then().statusCode(422).body("code", equalTo("validation_failed")).body("detail", containsString("'x'"));
        given().header("Authorization", auth(reseller)).contentType(ContentType.JSON).body("[1]").post(pay)
                .then().statusCode(422).body("code", equalTo("validation_failed"));
        given().header("Authorization", auth(reseller)).contentType(ContentType.JSON).body("{").post(pay)
                .then().statusCode(400).body("code", equalTo("malformed_json"));
        given().header("Authorization", auth(reseller)).contentType(ContentType.TEXT).body("hello").post(pay)
                .then().statusCode(415).body("code", equalTo("unsupported_media_type"));
        given().header("Authorization", auth(reseller)).get("/v1/reseller/orders/" + orderId)
                .then().body("status", equalTo("pending_payment"));
        given().header("Authorization", auth(reseller)).contentType(ContentType.JSON).body("{}").post(pay)
                .then().statusCode(200).body("status", equalTo("paid"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "[1,2|400|malformed_json|Malformed",
            "{\"product_id\": 1, \"pricing_id\": 1} x|400|malformed_json|Malformed",
            "{}{}|400|malformed_json|Malformed",
            "{\"product_id\": \"1\", \"pricing_id\": 1}|422|validation_failed|product_id",
            "{\"product_id\": 1, \"pricing_id\": 1.0}|422|validation_failed|pricing_id",
            "{\"product_id\": 1, \"pricing_id\": true}|422|validation_failed|pricing_id",
            "{\"product_id\": null, \"pricing_id\": 1}|422|validation_failed|product_id",
            "{\"product_id\": 0, \"pricing_id\": 1}|422|validation_failed|product_id",
            "{\"product_id\": 1, \"pricing_id\": 1, \"status\": \"paid\"}|422|validation_failed|status"})
    void shouldJudgeTheOrderBodyStrictly(String body, int status, String code, String detail) {
        given().header("Authorization", auth(RESELLERS.incrementAndGet())).contentType(ContentType.JSON).body(body)
                .post("/v1/reseller/orders").then().statusCode(status)
                .body("code", equalTo(code)).body("detail", containsString(detail));
    }

    @ParameterizedTest
    @ValueSource(strings = {"01", "+1", "0", "1e0", "-1", "99999999999999999999", "9223372036854775808"})
    void shouldAnswer404ForAMalformedOrderId(String id) {
        long reseller = RESELLERS.incrementAndGet();
        createOrder(reseller, 1);
        given().header("Authorization", auth(reseller)).get("/v1/reseller/orders/" + id)
                .then().statusCode(404).body("code", equalTo("not_found"));
        given().header("Authorization", auth(reseller)).post("/v1/reseller/orders/" + id + "/pay")
                .then().statusCode(404).body("code", equalTo("not_found"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"limit=0", "limit=101", "limit=+5", "limit=%20", "limit=1e1", "offset=-1", "offset=2147483648",
            "status=PAID", "status=paid%00"})
    void shouldRefuseBadListParametersNamingThem(String query) {
        given().header("Authorization", auth(RESELLERS.incrementAndGet())).get("/v1/reseller/orders?" + query)
                .then().statusCode(422).body("code", equalTo("validation_failed"))
                .body("detail", containsString(query.substring(0, query.indexOf('='))));
    }

    @Test
    void shouldChallengeATokenForAnotherService() {
        given().header("Authorization", "Bearer " + InternalTokens.billing().reseller(RESELLERS.incrementAndGet()))
                .get("/v1/reseller/orders")
                .then().statusCode(401).header("WWW-Authenticate", equalTo("Bearer")).body("code", equalTo("unauthorized"));
        given().get("/v1/reseller/orders")
                .then().statusCode(401).header("WWW-Authenticate", equalTo("Bearer")).body("code", equalTo("unauthorized"));
    }

    @Test
    void shouldHideAnotherResellersOrders() {
        long owner = RESELLERS.incrementAndGet();
        long other = RESELLERS.incrementAndGet();
        long orderId = createOrder(owner, 1);
        given().header("Authorization", auth(other)).get("/v1/reseller/orders/" + orderId)
                .then().statusCode(404).body("detail", equalTo("Order not found"));
        given().header("Authorization", auth(other)).post("/v1/reseller/orders/" + orderId + "/pay")
                .then().statusCode(404);
        given().header("Authorization", auth(other)).get("/v1/reseller/orders")
                .then().statusCode(200).body("total", equalTo(0)).body("orders", hasSize(0));
    }

    @Test
    void shouldFilterAndPageTheOrderList() {
        long reseller = RESELLERS.incrementAndGet();
        createOrder(reseller, 1);
        createOrder(reseller, 2);
        long third = createOrder(reseller, 3);
        given().header("Authorization", auth(reseller)).get("/v1/reseller/orders?limit=1")
                .then().statusCode(200).body("total", equalTo(3)).body("orders", hasSize(1))
                .body("orders[0].id", equalTo((int) third));
        given().header("Authorization", auth(reseller)).get("/v1/reseller/orders?status=pending_payment&offset=2")
                .then().statusCode(200).body("total", equalTo(3)).body("orders", hasSize(1));
        given().header("Authorization", auth(reseller)).get("/v1/reseller/orders?status=active")
                .then().statusCode(200).body("total", equalTo(0));
    }

    @Test
    void shouldAnswer402AndLeaveTheOrderPendingWhenBillingRefuses() {
        long reseller = RESELLERS.incrementAndGet();
        long orderId = createOrder(reseller, 2);
        BillingStub.insufficient = true;
        given().header("Authorization", auth(reseller)).post("/v1/reseller/orders/" + orderId + "/pay")
                .then().statusCode(402).body("detail", equalTo("Insufficient balance"));
        given().header("Authorization", auth(reseller)).get("/v1/reseller/orders/" + orderId)
                .then().statusCode(200).body("status", equalTo("pending_payment"));
    }

    @Test
    void shouldPayThenAnnounceOrderPaidAndFollowTheFleetToActive() throws Exception {
        long reseller = RESELLERS.incrementAndGet();
        long orderId = createOrder(reseller, 2);
        String token = auth(reseller);

        given().header("Authorization", token).post("/v1/reseller/orders/" + orderId + "/pay")
                .then().statusCode(200)
                .body("order_id", equalTo((int) orderId))
                .body("status", equalTo("paid"))
                .body("new_balance", equalTo("80.00"));
        // The charge is idempotent by the order's reference and made with the caller's own token.
        assertEquals(1, BillingStub.chargeRequests.stream().filter(r -> r.contains("\"order:" + orderId + "\"")).count());
        org.junit.jupiter.api.Assertions.assertTrue(BillingStub.chargeRequests.stream()
                .anyMatch(r -> r.startsWith(token) && r.contains("\"amount\":\"20.00\"")));
        given().header("Authorization", token).post("/v1/reseller/orders/" + orderId + "/pay")
                .then().statusCode(409);

        // order.paid went through the outbox to Kafka, once, shaped as its schema says.
        List<String> paid = consume(EventTypes.ORDER_PAID, String.valueOf(orderId));
        assertEquals(1, paid.size());
        EventSchemas.assertValid(paid.get(0));
        assertEquals(reseller, mapper.readTree(paid.get(0)).get("reseller_id").asLong());

        // The fleet found a modem: provisioning.
        String provisioning = EventJson.write(mapper, EventEnvelope.of(EventTypes.PROXY_PROVISIONING, reseller,
                new ProxyProvisioning(77, orderId, "LAX")));
        EventSchemas.assertValid(provisioning);
        produce(EventTypes.PROXY_PROVISIONING, reseller, provisioning);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                given().header("Authorization", token).get("/v1/reseller/orders/" + orderId)
                        .then().statusCode(200).body("status", equalTo("provisioning")));

        // The fleet's proxy.provisioned makes it active; a redelivery changes nothing.
        LocalDateTime expires = LocalDateTime.of(2030, 1, 1, 12, 0, 0);
        String provisioned = EventJson.write(mapper, EventEnvelope.of(EventTypes.PROXY_PROVISIONED, reseller,
                new ProxyProvisioned(77, orderId, "TEST-PROXY", "127.0.0.1", 20000, "u", "p", "LAX", "active", expires)));
        EventSchemas.assertValid(provisioned);
        produce(EventTypes.PROXY_PROVISIONED, reseller, provisioned);
        produce(EventTypes.PROXY_PROVISIONED, reseller, provisioned);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                given().header("Authorization", token).get("/v1/reseller/orders/" + orderId)
                        .then().statusCode(200)
                        .body("status", equalTo("active"))
                        .body("proxy_id", equalTo(77))
                        .body("expires_at", equalTo("2030-01-01T12:00:00")));
        given().header("Authorization", token).get("/v1/reseller/orders?status=active")
                .then().body("total", equalTo(1));
        // A late or repeated provisioning/provisioned never moves an active order back. Each late event is
        // followed, on the same topic and partition (same reseller key), by one for a second paid order:
        // once that one has applied, the late one has been handled too.
        long marker = createOrder(reseller, 1);
        given().header("Authorization", token).post("/v1/reseller/orders/" + marker + "/pay").then().statusCode(200);
        produce(EventTypes.PROXY_PROVISIONING, reseller, EventJson.write(mapper, EventEnvelope.of(EventTypes.PROXY_PROVISIONING,
                reseller, new ProxyProvisioning(77, orderId, "LAX"))));
        produce(EventTypes.PROXY_PROVISIONING, reseller, EventJson.write(mapper, EventEnvelope.of(EventTypes.PROXY_PROVISIONING,
                reseller, new ProxyProvisioning(79, marker, "LAX"))));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                given().header("Authorization", token).get("/v1/reseller/orders/" + marker).then().body("status", equalTo("provisioning")));
        produce(EventTypes.PROXY_PROVISIONED, reseller, EventJson.write(mapper, EventEnvelope.of(EventTypes.PROXY_PROVISIONED,
                reseller, new ProxyProvisioned(78, orderId, "LATE", "127.0.0.1", 20001, "u", "p", "NYC", "active", expires))));
        produce(EventTypes.PROXY_PROVISIONED, reseller, EventJson.write(mapper, EventEnvelope.of(EventTypes.PROXY_PROVISIONED,
                reseller, new ProxyProvisioned(79, marker, "MARK", "127.0.0.1", 20002, "u", "p", "LAX", "active", expires))));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                given().header("Authorization", token).get("/v1/reseller/orders/" + marker).then().body("status", equalTo("active")));
        given().header("Authorization", token).get("/v1/reseller/orders/" + orderId)
                .then().body("status", equalTo("active")).body("proxy_id", equalTo(77));
    }

    @Test
    void shouldCompleteAnOrderWhoseChargeWentThroughWhenPayDidNotFinish() throws Exception {
        long reseller = RESELLERS.incrementAndGet();
        long orderId = createOrder(reseller, 2);
        // billing charged order:<id> (its charge.posted), but this service never marked the order paid
        String charged = EventJson.write(mapper, EventEnvelope.of(EventTypes.CHARGE_POSTED, reseller,
                new ChargePosted("order:" + orderId, new java.math.BigDecimal("20.00"), new java.math.BigDecimal("80.00"),
                        LocalDateTime.of(2026, 5, 25, 12, 0))));
        EventSchemas.assertValid(charged);
        produce(EventTypes.CHARGE_POSTED, reseller, charged);
        produce(EventTypes.CHARGE_POSTED, reseller, charged); // redelivered
        // another reseller's charge with this order's reference changes nothing
        produce(EventTypes.CHARGE_POSTED, reseller + 1, EventJson.write(mapper, EventEnvelope.of(EventTypes.CHARGE_POSTED,
                reseller + 1, new ChargePosted("order:" + orderId, new java.math.BigDecimal("20.00"),
                        new java.math.BigDecimal("1.00"), LocalDateTime.of(2026, 5, 25, 12, 0)))));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                given().header("Authorization", auth(reseller)).get("/v1/reseller/orders/" + orderId)
                        .then().body("status", equalTo("paid")).body("paid_at", org.hamcrest.Matchers.notNullValue()));
        given().header("Authorization", auth(reseller)).post("/v1/reseller/orders/" + orderId + "/pay").then().statusCode(409);
        List<String> paid = consume(EventTypes.ORDER_PAID, String.valueOf(orderId));
        assertEquals(1, paid.size(), "order.paid exactly once");
        EventSchemas.assertValid(paid.get(0));
    }

    @jakarta.inject.Inject
    io.vertx.mutiny.sqlclient.Pool pool;

    private long processed(UUID eventId) {
        return pool.preparedQuery("select count(*) from processed_events where event_id = $1")
                .execute(io.vertx.mutiny.sqlclient.Tuple.of(eventId)).await().indefinitely().iterator().next().getLong(0);
    }

    @Test
    void shouldAcknowledgeTheChargeOfAnOrderItsPayMarkedPaidWithoutWritingAnything() throws Exception {
        long reseller = RESELLERS.incrementAndGet();
        long paidOrder = createOrder(reseller, 2);
        given().header("Authorization", auth(reseller)).post("/v1/reseller/orders/" + paidOrder + "/pay").then().statusCode(200);
        long pendingOrder = createOrder(reseller, 2);
        var paidCharge = EventEnvelope.of(EventTypes.CHARGE_POSTED, reseller, new ChargePosted("order:" + paidOrder,
                new java.math.BigDecimal("20.00"), new java.math.BigDecimal("80.00"), LocalDateTime.of(2026, 5, 25, 12, 0)));
        var pendingCharge = EventEnvelope.of(EventTypes.CHARGE_POSTED, reseller, new ChargePosted("order:" + pendingOrder,
                new java.math.BigDecimal("20.00"), new java.math.BigDecimal("60.00"), LocalDateTime.of(2026, 5, 25, 12, 0)));
        // Same key, so the second is read after the first.
        produce(EventTypes.CHARGE_POSTED, reseller, EventJson.write(mapper, paidCharge));
        produce(EventTypes.CHARGE_POSTED, reseller, EventJson.write(mapper, pendingCharge));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                given().header("Authorization", auth(reseller)).get("/v1/reseller/orders/" + pendingOrder)
                        .then().body("status", equalTo("paid")));
        assertEquals(0, processed(paidCharge.id()), "the paid order's charge.posted: a read, no inbox row, no transaction");
        assertEquals(1, processed(pendingCharge.id()), "the pending order's: completed through the inbox as before");
        assertEquals(1, consume(EventTypes.ORDER_PAID, String.valueOf(paidOrder)).size(), "order.paid exactly once");
    }

    @jakarta.inject.Inject
    com.proxyvault.orders.events.ChargePostedListener chargePosted;
    @jakarta.inject.Inject
    io.vertx.core.Vertx vertx;

    /**
     * Runs a listener's poll as the Kafka connector does: on a Vert.x (duplicated) context, where Hibernate
     * Reactive's transactions must run; returns once its Uni completed.
     */
    private void onVertxContext(java.util.function.Supplier<io.smallrye.mutiny.Uni<Void>> poll) throws Exception {
        java.util.concurrent.CompletableFuture<Void> done = new java.util.concurrent.CompletableFuture<>();
        io.smallrye.common.vertx.VertxContext.getOrCreateDuplicatedContext(vertx).runOnContext(ignored ->
                poll.get().subscribe().with(done::complete, done::completeExceptionally));
        done.get(30, java.util.concurrent.TimeUnit.SECONDS);
    }

    /**
     * A whole poll of charge.posted (batch=true): one read finds the orders pay already completed, which get no
     * inbox row; the others (a pending order, another reseller's charge naming it) go the normal way.
     */
    @Test
    void shouldSkipEveryChargeOfAPollWhoseOrderIsPaidWithOneRead() throws Exception {
        long reseller = RESELLERS.incrementAndGet();
        long paidOrder = createOrder(reseller, 2);
        given().header("Authorization", auth(reseller)).post("/v1/reseller/orders/" + paidOrder + "/pay").then().statusCode(200);
        long pendingOrder = createOrder(reseller, 2);
        LocalDateTime at = LocalDateTime.of(2026, 5, 25, 12, 0);
        var paidCharge = EventEnvelope.of(EventTypes.CHARGE_POSTED, reseller, new ChargePosted("order:" + paidOrder,
                new java.math.BigDecimal("20.00"), new java.math.BigDecimal("80.00"), at));
        var pendingCharge = EventEnvelope.of(EventTypes.CHARGE_POSTED, reseller, new ChargePosted("order:" + pendingOrder,
                new java.math.BigDecimal("20.00"), new java.math.BigDecimal("60.00"), at));
        var strangersCharge = EventEnvelope.of(EventTypes.CHARGE_POSTED, reseller + 1, new ChargePosted("order:" + pendingOrder,
                new java.math.BigDecimal("20.00"), new java.math.BigDecimal("1.00"), at));
        var adjustment = EventEnvelope.of(EventTypes.CHARGE_POSTED, reseller, new ChargePosted("adjustment:7",
                new java.math.BigDecimal("1.00"), new java.math.BigDecimal("59.00"), at));
        onVertxContext(() -> chargePosted.onChargePosted(List.of(EventJson.write(mapper, paidCharge),
                EventJson.write(mapper, strangersCharge), EventJson.write(mapper, pendingCharge), EventJson.write(mapper, adjustment))));

        given().header("Authorization", auth(reseller)).get("/v1/reseller/orders/" + pendingOrder).then().body("status", equalTo("paid"));
        assertEquals(0, processed(paidCharge.id()), "found paid by the poll's read: no inbox row");
        assertEquals(0, processed(adjustment.id()), "not an order's charge: nothing to do");
        assertEquals(1, processed(pendingCharge.id()), "completed through the inbox");
        assertEquals(1, processed(strangersCharge.id()), "looked at through the inbox, and changed nothing");
        assertEquals(1, consume(EventTypes.ORDER_PAID, String.valueOf(pendingOrder)).size(), "order.paid exactly once");
    }

    @Test
    void shouldAnswerPayWithPaidWhenChargePostedCompletedTheOrderFirst() throws Exception {
        long reseller = RESELLERS.incrementAndGet();
        long orderId = createOrder(reseller, 2);
        // billing posts the charge, announces it, and only then answers: the backstop gets there first.
        BillingStub.delayMillis = 3000;
        var pay = java.util.concurrent.CompletableFuture.supplyAsync(() ->
                given().header("Authorization", auth(reseller)).post("/v1/reseller/orders/" + orderId + "/pay").then());
        // announced once billing has the charge request: before that, pay could find the order paid already
        await().atMost(Duration.ofSeconds(30)).until(() ->
                BillingStub.chargeRequests.stream().anyMatch(request -> request.contains("\"order:" + orderId + "\"")));
        produce(EventTypes.CHARGE_POSTED, reseller, EventJson.write(mapper, EventEnvelope.of(EventTypes.CHARGE_POSTED, reseller,
                new ChargePosted("order:" + orderId, new java.math.BigDecimal("20.00"), new java.math.BigDecimal("80.00"),
                        LocalDateTime.of(2026, 5, 25, 12, 0)))));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                given().header("Authorization", auth(reseller)).get("/v1/reseller/orders/" + orderId)
                        .then().body("status", equalTo("paid")));

        pay.get(30, java.util.concurrent.TimeUnit.SECONDS).statusCode(200)
                .body("order_id", equalTo((int) orderId)).body("status", equalTo("paid")).body("new_balance", equalTo("80.00"));
        BillingStub.delayMillis = 0;
        given().header("Authorization", auth(reseller)).post("/v1/reseller/orders/" + orderId + "/pay").then().statusCode(409);
        assertEquals(1, consume(EventTypes.ORDER_PAID, String.valueOf(orderId)).size(), "order.paid exactly once");
    }

    @Test
    void shouldEndExpiredWhenTheProxysExpiryOvertakesItsProvisioned() throws Exception {
        long reseller = RESELLERS.incrementAndGet();
        String token = auth(reseller);
        long orderId = createOrder(reseller, 1);
        given().header("Authorization", token).post("/v1/reseller/orders/" + orderId + "/pay").then().statusCode(200);
        LocalDateTime end = LocalDateTime.of(2026, 5, 26, 12, 0, 0);

        // The fleet's events travel on different topics: here proxy.expired is read first.
        String expired = EventJson.write(mapper, EventEnvelope.of(EventTypes.PROXY_EXPIRED, reseller,
                new com.proxyvault.contracts.events.ProxyExpired(81, orderId, end)));
        EventSchemas.assertValid(expired);
        produce(EventTypes.PROXY_EXPIRED, reseller, expired);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                given().header("Authorization", token).get("/v1/reseller/orders/" + orderId)
                        .then().body("status", equalTo("expired")).body("proxy_id", equalTo(81)));

        // Its proxy.provisioned arrives late, followed on the same partition by a marker order's: once the
        // marker is active, the late event has been handled, and it must not have revived the order.
        long marker = createOrder(reseller, 1);
        given().header("Authorization", token).post("/v1/reseller/orders/" + marker + "/pay").then().statusCode(200);
        produce(EventTypes.PROXY_PROVISIONED, reseller, EventJson.write(mapper, EventEnvelope.of(EventTypes.PROXY_PROVISIONED,
                reseller, new ProxyProvisioned(81, orderId, "LATE", "127.0.0.1", 20003, "u", "p", "LAX", "active", end))));
        produce(EventTypes.PROXY_PROVISIONED, reseller, EventJson.write(mapper, EventEnvelope.of(EventTypes.PROXY_PROVISIONED,
                reseller, new ProxyProvisioned(82, marker, "MARK", "127.0.0.1", 20004, "u", "p", "LAX", "active", end))));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                given().header("Authorization", token).get("/v1/reseller/orders/" + marker).then().body("status", equalTo("active")));
        given().header("Authorization", token).get("/v1/reseller/orders/" + orderId)
                .then().body("status", equalTo("expired")).body("expires_at", equalTo("2026-05-26T12:00:00"));
    }

    @jakarta.inject.Inject
    com.proxyvault.orders.events.FleetEventsListener fleetEvents;

    /**
     * A whole Kafka poll of the fleet's events (batch=true channels) moves every order it names in one statement
     * ({@code MOVE_MANY}), exactly as the events one by one would: each paid order to provisioning, then active
     * with its proxy and end; the same event twice in a poll changes nothing more; an order of another reseller
     * than the event names, and an order already further on (expired), are left alone.
     */
    @Test
    void shouldMoveEveryOrderOfAPollOfFleetEventsAsTheEventsOneByOneWould() throws Exception {
        long reseller = RESELLERS.incrementAndGet();
        String token = auth(reseller);
        long first = createOrder(reseller, 1);
        long second = createOrder(reseller, 1);
        long expired = createOrder(reseller, 1);
        for (long order : List.of(first, second, expired)) {
            given().header("Authorization", token).post("/v1/reseller/orders/" + order + "/pay").then().statusCode(200);
        }
        LocalDateTime end = LocalDateTime.of(2026, 6, 1, 12, 0, 0);
        produce(EventTypes.PROXY_EXPIRED, reseller, EventJson.write(mapper, EventEnvelope.of(EventTypes.PROXY_EXPIRED, reseller,
                new com.proxyvault.contracts.events.ProxyExpired(93, expired, end))));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().header("Authorization", token)
                .get("/v1/reseller/orders/" + expired).then().body("status", equalTo("expired")));

        String firstProvisioning = EventJson.write(mapper, EventEnvelope.of(EventTypes.PROXY_PROVISIONING, reseller,
                new ProxyProvisioning(91, first, "LAX")));
        fleetEvents.onProxyProvisioning(List.of(firstProvisioning,
                EventJson.write(mapper, EventEnvelope.of(EventTypes.PROXY_PROVISIONING, reseller, new ProxyProvisioning(92, second, "LAX"))),
                // the right order under another reseller's name: not this reseller's event to apply
                EventJson.write(mapper, EventEnvelope.of(EventTypes.PROXY_PROVISIONING, reseller + 1, new ProxyProvisioning(99, first, "LAX"))),
                EventJson.write(mapper, EventEnvelope.of(EventTypes.PROXY_PROVISIONING, reseller, new ProxyProvisioning(93, expired, "LAX"))),
                firstProvisioning)).await().atMost(Duration.ofSeconds(30));
        given().header("Authorization", token).get("/v1/reseller/orders/" + first).then()
                .body("status", equalTo("provisioning")).body("proxy_id", equalTo(91));
        given().header("Authorization", token).get("/v1/reseller/orders/" + second).then()
                .body("status", equalTo("provisioning")).body("proxy_id", equalTo(92));
        given().header("Authorization", token).get("/v1/reseller/orders/" + expired).then().body("status", equalTo("expired"));

        fleetEvents.onProxyProvisioned(List.of(
                EventJson.write(mapper, EventEnvelope.of(EventTypes.PROXY_PROVISIONED, reseller,
                        new ProxyProvisioned(91, first, "A", "127.0.0.1", 20005, "u", "p", "LAX", "active", end))),
                EventJson.write(mapper, EventEnvelope.of(EventTypes.PROXY_PROVISIONED, reseller,
                        new ProxyProvisioned(92, second, "B", "127.0.0.1", 20006, "u", "p", "LAX", "active", end.plusHours(1))))))
                .await().atMost(Duration.ofSeconds(30));
        given().header("Authorization", token).get("/v1/reseller/orders/" + first).then()
                .body("status", equalTo("active")).body("proxy_id", equalTo(91)).body("expires_at", equalTo("2026-06-01T12:00:00"));
        given().header("Authorization", token).get("/v1/reseller/orders/" + second).then()
                .body("status", equalTo("active")).body("proxy_id", equalTo(92)).body("expires_at", equalTo("2026-06-01T13:00:00"));
        // ... and by MOVE_MANY itself: a failing batch statement would have fallen back to one event at a time
        for (String handler : List.of("order-provisioning", "order-active")) {
            assertEquals(0.0, meters.counter("proxyvault.events.batch.fallbacks", "handler", handler).count(), handler);
        }
    }

    @jakarta.inject.Inject
    io.micrometer.core.instrument.MeterRegistry meters;

    @Test
    void shouldFailAPaidOrderWhenProvisioningFails() throws Exception {
        long reseller = RESELLERS.incrementAndGet();
        long orderId = createOrder(reseller, 1);
        given().header("Authorization", auth(reseller)).post("/v1/reseller/orders/" + orderId + "/pay").then().statusCode(200);
        String failed = EventJson.write(mapper, EventEnvelope.of(EventTypes.PROXY_PROVISION_FAILED, reseller,
                new ProxyProvisionFailed(orderId, "No free modem")));
        EventSchemas.assertValid(failed);
        produce(EventTypes.PROXY_PROVISION_FAILED, reseller, failed);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                given().header("Authorization", auth(reseller)).get("/v1/reseller/orders/" + orderId)
                        .then().body("status", equalTo("failed")).body("failure_reason", equalTo("No free modem")));
    }

    private void produce(String type, long reseller, String json) throws Exception {
        try (var producer = new KafkaProducer<String, String>(Map.of("bootstrap.servers", bootstrap),
                new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(topicPrefix + type, String.valueOf(reseller), json)).get();
        }
    }

    /** Reads the topic from the start until it stops growing, keeping the events of one order. */
    private List<String> consume(String type, String orderId) {
        List<String> found = new ArrayList<>();
        try (var consumer = new KafkaConsumer<String, String>(Map.of(
                "bootstrap.servers", bootstrap, "group.id", "order-test-" + UUID.randomUUID(),
                "auto.offset.reset", "earliest"), new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topicPrefix + type));
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
                    if (record.value().contains("\"order_id\":" + orderId + ",")) {
                        found.add(record.value());
                    }
                }
                return !found.isEmpty();
            });
            // Give a duplicate the chance to show up before counting.
            for (int i = 0; i < 4; i++) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
                    if (record.value().contains("\"order_id\":" + orderId + ",")) {
                        found.add(record.value());
                    }
                }
            }
        }
        return found;
    }
}
