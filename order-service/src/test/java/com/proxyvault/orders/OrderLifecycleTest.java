package com.proxyvault.orders;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.proxyvault.contracts.events.EventEnvelope;
import com.proxyvault.contracts.events.EventJson;
import com.proxyvault.contracts.events.EventSchemas;
import com.proxyvault.contracts.events.EventTypes;
import com.proxyvault.contracts.events.ProxyProvisionFailed;
import com.proxyvault.orders.orders.OrderStatus;
import com.proxyvault.orders.orders.UnpaidOrderCanceller;
import com.proxyvault.platform.auth.InternalTokens;
import com.proxyvault.platform.vertx.VertxContexts;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The lifecycle table, the unpaid-order canceller, pay while billing is down, and failed orders. */
@QuarkusTest
@WithTestResource(BillingStub.class)
class OrderLifecycleTest {

    private static final AtomicLong RESELLERS = new AtomicLong(System.nanoTime() % 1_000_000 * 1000 + 500);

    @Inject
    TestClock clock;
    @Inject
    UnpaidOrderCanceller canceller;
    @Inject
    VertxContexts contexts;
    @Inject
    DataSource dataSource;

    private final ObjectMapper mapper = new ObjectMapper().registerModule(new JavaTimeModule());

    @AfterEach
    void reset() {
        clock.reset();
        BillingStub.mode = BillingStub.Mode.UP;
        BillingStub.insufficient = false;
        BillingStub.delayMillis = 0;
    }

    private static String auth(long reseller) {
        return "Bearer " + InternalTokens.orders().reseller(reseller);
    }

    private static long createOrder(long reseller, int pricingId) {
        return given().header("Authorization", auth(reseller)).contentType(ContentType.JSON)
                .body(Map.of("product_id", 1, "pricing_id", pricingId))
                .post("/v1/reseller/orders")
                .then().statusCode(201).extract().jsonPath().getLong("id");
    }

    private static String statusOf(long reseller, long orderId) {
        return given().header("Authorization", auth(reseller)).get("/v1/reseller/orders/" + orderId)
                .then().statusCode(200).extract().jsonPath().getString("status");
    }

    private int sweep() {
        return contexts.onNewContext(() -> canceller.cancelDue()).await().atMost(Duration.ofSeconds(30));
    }

    @Test
    void shouldHoldTheSameTransitionTableInCodeAndDatabase() throws SQLException {
        Map<String, Set<String>> database = new HashMap<>();
        OrderStatus.ALL.forEach(status -> database.put(status, new HashSet<>()));
        try (Connection c = dataSource.getConnection();
             ResultSet rows = c.createStatement().executeQuery("select from_status, to_status from order_status_transitions")) {
            while (rows.next()) {
                database.get(rows.getString(1)).add(rows.getString(2));
            }
        }
        assertEquals(OrderStatus.TRANSITIONS, database);
        assertEquals(Set.copyOf(OrderStatus.ALL), OrderStatus.TRANSITIONS.keySet());
    }

    @Test
    void shouldRefuseAnIllegalStatusChangeInCodeAndInTheDatabase() throws SQLException {
        assertThrows(OrderStatus.IllegalTransition.class, () -> OrderStatus.require(OrderStatus.EXPIRED, OrderStatus.ACTIVE));
        assertThrows(OrderStatus.IllegalTransition.class, () -> OrderStatus.require(OrderStatus.PENDING_PAYMENT, OrderStatus.ACTIVE));
        assertThrows(OrderStatus.IllegalTransition.class, () -> OrderStatus.require(OrderStatus.FAILED, OrderStatus.PAID));
        assertFalse(OrderStatus.allows(OrderStatus.ACTIVE, OrderStatus.FAILED));
        assertEquals(List.of(OrderStatus.PAID, OrderStatus.PROVISIONING), OrderStatus.before(OrderStatus.FAILED));

        long reseller = RESELLERS.incrementAndGet();
        long orderId = createOrder(reseller, 1);
        // Straight to the table, past every line of the service: the trigger refuses.
        for (String illegal : List.of("active", "provisioning", "expired", "failed")) {
            SQLException refused = assertThrows(SQLException.class,
                    () -> update("update orders set status = ? where id = ?", illegal, orderId), illegal);
            assertTrue(refused.getMessage().contains("illegal order status change pending_payment -> " + illegal),
                    refused.getMessage());
        }
        assertThrows(SQLException.class, () -> update("update orders set status = ? where id = ?", "bogus", orderId));
        SQLException insert = assertThrows(SQLException.class, () -> update("""
                insert into orders (reseller_id, product_id, pricing_id, product_name, pricing_label, amount_usd,
                    period_type, period_duration, status, created_at, updated_at)
                select reseller_id, product_id, pricing_id, product_name, pricing_label, amount_usd,
                    period_type, period_duration, ?, created_at, updated_at from orders where id = ?""", "paid", orderId));
        assertTrue(insert.getMessage().contains("must be pending_payment"), insert.getMessage());
        // A change that is no status change passes.
        update("update orders set status = ? where id = ?", "pending_payment", orderId);
        assertEquals("pending_payment", statusOf(reseller, orderId));
    }

    @Test
    void shouldCancelAnOrderLeftUnpaidPastTheTimeoutAndRefuseToPayIt() throws Exception {
        long reseller = RESELLERS.incrementAndGet();
        long stale = createOrder(reseller, 2);

        clock.advance(Duration.ofMinutes(29));
        sweep();
        assertEquals("pending_payment", statusOf(reseller, stale));

        clock.advance(Duration.ofMinutes(2));
        long fresh = createOrder(reseller, 2);
        assertTrue(sweep() >= 1);
        assertEquals("cancelled", statusOf(reseller, stale));
        assertEquals("pending_payment", statusOf(reseller, fresh));
        sweep(); // again: nothing more happens to it

        given().header("Authorization", auth(reseller)).post("/v1/reseller/orders/" + stale + "/pay")
                .then().statusCode(409).body("code", equalTo("conflict"))
                .body("detail", equalTo("Order was cancelled: Not paid within 30 minutes"));
        // the order says why, as order.cancelled does (new-user review: failure_reason was null)
        given().header("Authorization", auth(reseller)).get("/v1/reseller/orders/" + stale)
                .then().statusCode(200).body("failure_reason", equalTo("Not paid within 30 minutes"));
        assertFalse(BillingStub.chargeRequests.stream().anyMatch(r -> r.contains("\"order:" + stale + "\"")),
                "a cancelled order is never charged");
        given().header("Authorization", auth(reseller)).get("/v1/reseller/orders?status=cancelled")
                .then().statusCode(200).body("total", equalTo(1)).body("orders.id", hasItem((int) stale));
        given().header("Authorization", auth(reseller)).get("/v1/reseller/orders?status=failed")
                .then().statusCode(200).body("total", equalTo(0));

        List<String> cancelled = Events.ofOrder(EventTypes.ORDER_CANCELLED, stale);
        assertEquals(1, cancelled.size(), "order.cancelled exactly once");
        EventSchemas.assertValid(cancelled.get(0));
        assertEquals(reseller, mapper.readTree(cancelled.get(0)).get("reseller_id").asLong());
        assertEquals("unpaid_timeout", mapper.readTree(cancelled.get(0)).at("/data/reason").asText());

        // The fresh order is still payable.
        given().header("Authorization", auth(reseller)).post("/v1/reseller/orders/" + fresh + "/pay")
                .then().statusCode(200).body("status", equalTo("paid"));
    }

    @Test
    void shouldPayAnOrderCancelledWhileItsChargeWasUnderWay() throws Exception {
        long reseller = RESELLERS.incrementAndGet();
        long orderId = createOrder(reseller, 2);
        BillingStub.delayMillis = 3000; // billing holds the charge while the sweep runs
        var pay = java.util.concurrent.CompletableFuture.supplyAsync(() ->
                given().header("Authorization", auth(reseller)).post("/v1/reseller/orders/" + orderId + "/pay").then());
        await().atMost(Duration.ofSeconds(30)).until(() ->
                BillingStub.chargeRequests.stream().anyMatch(r -> r.contains("\"order:" + orderId + "\"")));
        clock.advance(Duration.ofMinutes(31));
        sweep();
        assertEquals("cancelled", statusOf(reseller, orderId));

        // The charge went through: the money decides, the order is paid.
        pay.get(30, java.util.concurrent.TimeUnit.SECONDS).statusCode(200).body("status", equalTo("paid"));
        assertEquals("paid", statusOf(reseller, orderId));
        // and no longer says it was cancelled unpaid
        given().header("Authorization", auth(reseller)).get("/v1/reseller/orders/" + orderId)
                .then().statusCode(200).body("failure_reason", nullValue());
        assertEquals(1, outboxEvents(EventTypes.ORDER_CANCELLED, orderId));
        assertEquals(1, outboxEvents(EventTypes.ORDER_PAID, orderId));
    }

    @Test
    void shouldCancelEachOrderOnceWhenTwoReplicasSweepAtOnce() throws Exception {
        long reseller = RESELLERS.incrementAndGet();
        List<Long> orders = new java.util.ArrayList<>();
        for (int i = 0; i < 7; i++) {
            orders.add(createOrder(reseller, 1));
        }
        clock.advance(Duration.ofMinutes(31));
        // Two replicas' sweeps at the same moment, each on its own context (and connection).
        Uni.combine().all().unis(contexts.onNewContext(() -> canceller.cancelDue()), contexts.onNewContext(() -> canceller.cancelDue()))
                .asTuple().await().atMost(Duration.ofSeconds(30));
        for (long orderId : orders) {
            assertEquals("cancelled", statusOf(reseller, orderId));
            assertEquals(1, outboxEvents(EventTypes.ORDER_CANCELLED, orderId), "one order.cancelled for order " + orderId);
        }
    }

    @Test
    void shouldAnswer503AndKeepTheOrderPendingWhileBillingIsDownThenChargeOnce() {
        long reseller = RESELLERS.incrementAndGet();
        long orderId = createOrder(reseller, 2);
        String reference = "order:" + orderId;

        // billing took the request and dropped the connection: it may have charged, so the answer does not say it did not
        BillingStub.mode = BillingStub.Mode.DROP;
        given().header("Authorization", auth(reseller)).post("/v1/reseller/orders/" + orderId + "/pay")
                .then().statusCode(503).body("code", equalTo("service_unavailable"))
                .body("detail", containsString("may have been charged"));
        BillingStub.mode = BillingStub.Mode.FAILING;
        given().header("Authorization", auth(reseller)).post("/v1/reseller/orders/" + orderId + "/pay")
                .then().statusCode(503).body("code", equalTo("service_unavailable"))
                .body("detail", containsString("Billing is unavailable, the order was not charged"));
        assertEquals("pending_payment", statusOf(reseller, orderId));
        assertFalse(BillingStub.posted.containsKey(reference), "no money moved");

        BillingStub.mode = BillingStub.Mode.UP;
        given().header("Authorization", auth(reseller)).post("/v1/reseller/orders/" + orderId + "/pay")
                .then().statusCode(200).body("status", equalTo("paid")).body("new_balance", equalTo("80.00"));
        given().header("Authorization", auth(reseller)).post("/v1/reseller/orders/" + orderId + "/pay")
                .then().statusCode(409);
        assertEquals("20.00", BillingStub.posted.get(reference), "charged once, the order's amount");
        assertEquals(1, outboxEvents(EventTypes.ORDER_PAID, orderId));
        // send-order-id is on (billing takes order_id): every charge of the order names it next to the reference.
        assertTrue(BillingStub.chargeRequests.stream().filter(r -> r.contains("\"" + reference + "\""))
                .allMatch(r -> r.contains("\"order_id\":" + orderId)));
    }

    @Test
    void shouldFailAnOrderWhoseProvisioningFailedAndAnnounceItsRefund() throws Exception {
        long reseller = RESELLERS.incrementAndGet();
        long orderId = createOrder(reseller, 1);
        given().header("Authorization", auth(reseller)).post("/v1/reseller/orders/" + orderId + "/pay").then().statusCode(200);
        String failed = EventJson.write(mapper, EventEnvelope.of(EventTypes.PROXY_PROVISION_FAILED, reseller,
                new ProxyProvisionFailed(orderId, "No free modem")));
        Events.produce(EventTypes.PROXY_PROVISION_FAILED, reseller, failed);
        Events.produce(EventTypes.PROXY_PROVISION_FAILED, reseller, failed); // redelivered
        await().atMost(Duration.ofSeconds(30)).until(() -> "failed".equals(statusOf(reseller, orderId)));

        List<String> announced = Events.ofOrder(EventTypes.ORDER_FAILED, orderId);
        assertEquals(1, announced.size(), "order.failed exactly once");
        EventSchemas.assertValid(announced.get(0));
        // order-service decides the refund (the order's whole amount, for its charge); billing posts it.
        assertEquals("10.00", mapper.readTree(announced.get(0)).at("/data/refunded_amount").asText());
        assertEquals("order:" + orderId, mapper.readTree(announced.get(0)).at("/data/charge_reference").asText());
        assertEquals("No free modem", mapper.readTree(announced.get(0)).at("/data/reason").asText());
        assertTrue(BillingStub.refundRequests.stream().noneMatch(r -> r.contains("\"order_id\":" + orderId + ",")));
        given().header("Authorization", auth(reseller)).get("/v1/reseller/orders?status=failed")
                .then().body("total", equalTo(1));
    }

    private void update(String sql, String status, long orderId) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement statement = c.prepareStatement(sql)) {
            statement.setString(1, status);
            statement.setLong(2, orderId);
            statement.executeUpdate();
        }
    }

    private long outboxEvents(String type, long orderId) {
        try (Connection c = dataSource.getConnection(); PreparedStatement statement = c.prepareStatement(
                "select count(*) from outbox_events where topic = ? and payload like ?")) {
            statement.setString(1, type);
            statement.setString(2, "%\"order_id\":" + orderId + ",%");
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
