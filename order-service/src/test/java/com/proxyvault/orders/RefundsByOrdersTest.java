package com.proxyvault.orders;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.proxyvault.contracts.events.EventEnvelope;
import com.proxyvault.contracts.events.EventJson;
import com.proxyvault.contracts.events.EventSchemas;
import com.proxyvault.contracts.events.EventTypes;
import com.proxyvault.contracts.events.ProxyProvisionFailed;
import com.proxyvault.platform.auth.InternalTokens;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Both issue-7 switches on, as they will be once billing accepts order_id and /internal/refunds. */
@QuarkusTest
@TestProfile(RefundsByOrdersTest.SwitchesOn.class)
@WithTestResource(BillingStub.class)
class RefundsByOrdersTest {

    public static class SwitchesOn implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("proxyvault.orders.send-order-id", "true", "proxyvault.orders.refunds-by-orders", "true");
        }
    }

    private static final AtomicLong RESELLERS = new AtomicLong(System.nanoTime() % 1_000_000 * 1000 + 900);
    private final ObjectMapper mapper = new ObjectMapper().registerModule(new JavaTimeModule());

    @AfterEach
    void reset() {
        BillingStub.mode = BillingStub.Mode.UP;
    }

    private static String auth(long reseller) {
        return "Bearer " + InternalTokens.orders().reseller(reseller);
    }

    private static long paidOrder(long reseller, int pricingId) {
        long orderId = given().header("Authorization", auth(reseller)).contentType(ContentType.JSON)
                .body(Map.of("product_id", 1, "pricing_id", pricingId))
                .post("/v1/reseller/orders").then().statusCode(201).extract().jsonPath().getLong("id");
        given().header("Authorization", auth(reseller)).post("/v1/reseller/orders/" + orderId + "/pay").then().statusCode(200);
        return orderId;
    }

    @Test
    void shouldSendTheOrderIdWithItsCharge() {
        long reseller = RESELLERS.incrementAndGet();
        long orderId = paidOrder(reseller, 2);
        assertTrue(BillingStub.chargeRequests.stream().anyMatch(r ->
                r.contains("\"reference\":\"order:" + orderId + "\"") && r.contains("\"order_id\":" + orderId)));
    }

    @Test
    void shouldRefundThroughBillingOnceAndAnnounceTheRefundedAmount() throws Exception {
        long reseller = RESELLERS.incrementAndGet();
        long orderId = paidOrder(reseller, 3);
        String failed = EventJson.write(mapper, EventEnvelope.of(EventTypes.PROXY_PROVISION_FAILED, reseller,
                new ProxyProvisionFailed(orderId, "Agent did not confirm")));
        // Billing is briefly down: the consumer template retries the refund until it goes through.
        BillingStub.mode = BillingStub.Mode.FAILING;
        Events.produce(EventTypes.PROXY_PROVISION_FAILED, reseller, failed);
        await().atMost(Duration.ofSeconds(30)).until(() ->
                BillingStub.refundRequests.stream().anyMatch(r -> r.contains("\"order_id\":" + orderId + ",")));
        BillingStub.mode = BillingStub.Mode.UP;
        Events.produce(EventTypes.PROXY_PROVISION_FAILED, reseller, failed); // and redelivered
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                given().header("Authorization", auth(reseller)).get("/v1/reseller/orders/" + orderId)
                        .then().body("status", equalTo("failed")).body("failure_reason", equalTo("Agent did not confirm")));

        assertEquals("225.00", BillingStub.refunded.get("order:" + orderId), "refunded once, the charged amount");
        assertTrue(BillingStub.refundRequests.stream().filter(r -> r.contains("\"order_id\":" + orderId + ","))
                .allMatch(r -> r.startsWith("Bearer ") && r.contains("\"charge_reference\":\"order:" + orderId + "\"")
                        && r.contains("\"reason\":\"Agent did not confirm\"")));
        List<String> announced = Events.ofOrder(EventTypes.ORDER_FAILED, orderId);
        assertEquals(1, announced.size(), "order.failed exactly once");
        EventSchemas.assertValid(announced.get(0));
        assertEquals("225.00", mapper.readTree(announced.get(0)).at("/data/refunded_amount").asText());
    }
}
