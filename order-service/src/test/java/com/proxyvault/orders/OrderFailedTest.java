package com.proxyvault.orders;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.proxyvault.contracts.events.EventEnvelope;
import com.proxyvault.contracts.events.EventJson;
import com.proxyvault.contracts.events.EventSchemas;
import com.proxyvault.contracts.events.EventTypes;
import com.proxyvault.contracts.events.ProxyProvisionFailed;
import com.proxyvault.contracts.events.ProxyProvisioning;
import com.proxyvault.platform.auth.InternalTokens;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The order owns its money (issue 7): on {@code proxy.provision_failed} order-service decides the
 * compensation and announces it in {@code order.failed} — the charge to give back and exactly how much —
 * for billing to post. It never calls billing to refund.
 */
@QuarkusTest
@WithTestResource(BillingStub.class)
class OrderFailedTest {

    private static final AtomicLong RESELLERS = new AtomicLong(System.nanoTime() % 1_000_000 * 1000 + 700);

    @Inject
    DataSource dataSource;

    private final ObjectMapper mapper = new ObjectMapper().registerModule(new JavaTimeModule());

    private static String auth(long reseller) {
        return "Bearer " + InternalTokens.orders().reseller(reseller);
    }

    private static long createOrder(long reseller, int pricingId) {
        return given().header("Authorization", auth(reseller)).contentType(ContentType.JSON)
                .body(Map.of("product_id", 1, "pricing_id", pricingId))
                .post("/v1/reseller/orders").then().statusCode(201).extract().jsonPath().getLong("id");
    }

    private static long paidOrder(long reseller, int pricingId) {
        long orderId = createOrder(reseller, pricingId);
        given().header("Authorization", auth(reseller)).post("/v1/reseller/orders/" + orderId + "/pay").then().statusCode(200);
        return orderId;
    }

    private static String statusOf(long reseller, long orderId) {
        return given().header("Authorization", auth(reseller)).get("/v1/reseller/orders/" + orderId)
                .then().statusCode(200).extract().jsonPath().getString("status");
    }

    private void provisionFailed(long reseller, long orderId, String reason) throws Exception {
        Events.produce(EventTypes.PROXY_PROVISION_FAILED, reseller, EventJson.write(mapper,
                EventEnvelope.of(EventTypes.PROXY_PROVISION_FAILED, reseller, new ProxyProvisionFailed(orderId, reason))));
    }

    private JsonNode onlyOrderFailed(long orderId) throws Exception {
        List<String> announced = Events.ofOrder(EventTypes.ORDER_FAILED, orderId);
        assertEquals(1, announced.size(), "order.failed exactly once");
        EventSchemas.assertValid(announced.get(0));
        return mapper.readTree(announced.get(0));
    }

    @Test
    void shouldAnnounceTheChargeAndItsAmountToRefundWhenAPaidOrderFails() throws Exception {
        long reseller = RESELLERS.incrementAndGet();
        long orderId = paidOrder(reseller, 3);
        String charged = BillingStub.posted.get("order:" + orderId);
        String failed = EventJson.write(mapper, EventEnvelope.of(EventTypes.PROXY_PROVISION_FAILED, reseller,
                new ProxyProvisionFailed(orderId, "Agent did not confirm")));
        Events.produce(EventTypes.PROXY_PROVISION_FAILED, reseller, failed);
        Events.produce(EventTypes.PROXY_PROVISION_FAILED, reseller, failed); // redelivered
        await().atMost(Duration.ofSeconds(30)).until(() -> "failed".equals(statusOf(reseller, orderId)));

        JsonNode event = onlyOrderFailed(orderId);
        assertEquals(reseller, event.get("reseller_id").asLong(), "the envelope names the reseller");
        assertEquals(orderId, event.at("/data/order_id").asLong());
        assertEquals("order:" + orderId, event.at("/data/charge_reference").asText(), "the reference pay charged under");
        assertEquals(charged, event.at("/data/refunded_amount").asText(), "exactly the charged amount");
        assertEquals("225.00", event.at("/data/refunded_amount").asText());
        assertEquals("Agent did not confirm", event.at("/data/reason").asText());
        assertTrue(BillingStub.refundRequests.stream().noneMatch(r -> r.contains("\"order_id\":" + orderId + ",")),
                "order-service does not call billing to refund: billing acts on order.failed");
    }

    @Test
    void shouldAnnounceTheRefundOfAProvisioningOrderToo() throws Exception {
        long reseller = RESELLERS.incrementAndGet();
        long orderId = paidOrder(reseller, 1);
        Events.produce(EventTypes.PROXY_PROVISIONING, reseller, EventJson.write(mapper,
                EventEnvelope.of(EventTypes.PROXY_PROVISIONING, reseller, new ProxyProvisioning(77, orderId, "LAX"))));
        await().atMost(Duration.ofSeconds(30)).until(() -> "provisioning".equals(statusOf(reseller, orderId)));
        provisionFailed(reseller, orderId, "No free modem");
        await().atMost(Duration.ofSeconds(30)).until(() -> "failed".equals(statusOf(reseller, orderId)));

        JsonNode event = onlyOrderFailed(orderId);
        assertEquals("order:" + orderId, event.at("/data/charge_reference").asText());
        assertEquals("10.00", event.at("/data/refunded_amount").asText());
    }

    @Test
    void shouldNotFailNorRefundAnUnpaidOrder() throws Exception {
        long reseller = RESELLERS.incrementAndGet();
        long unpaid = createOrder(reseller, 1);
        long marker = paidOrder(reseller, 1);
        provisionFailed(reseller, unpaid, "No free modem");
        provisionFailed(reseller, marker, "No free modem");
        // One reseller's events share a partition and are handled in order: once the marker failed, the
        // unpaid order's event has been handled too.
        await().atMost(Duration.ofSeconds(30)).until(() -> "failed".equals(statusOf(reseller, marker)));

        assertEquals("pending_payment", statusOf(reseller, unpaid), "the lifecycle fails only paid or provisioning orders");
        assertEquals(0, outboxEvents(EventTypes.ORDER_FAILED, unpaid), "no order.failed, so no refund");
        assertFalse(BillingStub.posted.containsKey("order:" + unpaid));
    }

    @Test
    void shouldAnnounceNothingToRefundForAnOrderThatWasNeverCharged() throws Exception {
        long reseller = RESELLERS.incrementAndGet();
        long orderId = createOrder(reseller, 1);
        // Only by hand: a paid status without a pay (no paid_at, no charge). The guard must not invent a refund.
        try (Connection c = dataSource.getConnection();
             PreparedStatement statement = c.prepareStatement("update orders set status = 'paid' where id = ?")) {
            statement.setLong(1, orderId);
            assertEquals(1, statement.executeUpdate());
        }
        provisionFailed(reseller, orderId, "No free modem");
        await().atMost(Duration.ofSeconds(30)).until(() -> "failed".equals(statusOf(reseller, orderId)));

        JsonNode event = onlyOrderFailed(orderId);
        assertEquals("0.00", event.at("/data/refunded_amount").asText());
        assertTrue(event.at("/data/charge_reference").isMissingNode(), "no charge to name: " + event);
    }

    private long outboxEvents(String type, long orderId) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement statement = c.prepareStatement(
                "select count(*) from outbox_events where topic = ? and payload like ?")) {
            statement.setString(1, type);
            statement.setString(2, "%\"order_id\":" + orderId + ",%");
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        }
    }
}
