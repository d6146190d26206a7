package com.proxyvault.systemtests;

import com.fasterxml.jackson.databind.JsonNode;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Map;

import static com.proxyvault.systemtests.StackApi.reseller;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Renewals through the public API on the running stack (docs/money.md, "Renewals"): a renewal order keeps
 * the proxy and its credentials and moves expires_at by the period; auto-renew renews from the balance at an
 * expiry checkpoint (bin/test adds one a 1-hour proxy reaches 5 s after it is active:
 * {@code PV_FLEET_EXPIRY_CHECKPOINTS}), through fleet → order-service → billing → order-service → fleet; and
 * an auto-renewal the balance cannot cover is cancelled with no money moved.
 */
class RenewalIT {

    private static final Duration WAIT = Duration.ofSeconds(60);

    @BeforeAll
    static void gateway() {
        StackApi.useGateway();
    }

    @Test
    void shouldRenewAProxyByOrderKeepingItsCredentials() {
        var buyer = StackApi.newReseller("20.00");
        JsonNode proxy = StackApi.buyActiveProxy(buyer);
        long proxyId = proxy.get("id").asLong();
        LocalDateTime expiresAt = LocalDateTime.parse(proxy.get("expires_at").asText());

        JsonPath renewal = reseller(buyer.key()).contentType(ContentType.JSON)
                .body(Map.of("proxy_id", proxyId, "pricing_id", 1)).post("/v1/reseller/orders")
                .then().statusCode(201).body("kind", equalTo("renewal")).body("status", equalTo("pending_payment"))
                .extract().jsonPath();
        long renewalId = renewal.getLong("id");
        reseller(buyer.key()).post("/v1/reseller/orders/" + renewalId + "/pay").then().statusCode(200)
                .body("new_balance", equalTo("0.00"));
        StackApi.awaitActive(buyer, renewalId);

        JsonPath renewed = reseller(buyer.key()).get("/v1/reseller/proxies/" + proxyId).then().statusCode(200)
                .body("status", equalTo("active"))
                .body("username", equalTo(proxy.get("username").asText()))
                .body("password", equalTo(proxy.get("password").asText()))
                .body("port", equalTo(proxy.get("port").asInt()))
                .extract().jsonPath();
        assertEquals(expiresAt.plusHours(1), LocalDateTime.parse(renewed.getString("expires_at")));
        assertEquals(expiresAt.plusHours(1), LocalDateTime.parse(reseller(buyer.key())
                .get("/v1/reseller/orders/" + renewalId).then().extract().jsonPath().getString("expires_at")));
        // the ledger names the renewal order's charge
        reseller(buyer.key()).get("/v1/reseller/balance/transactions?limit=1").then().statusCode(200)
                .body("transactions[0].type", equalTo("charge"))
                .body("transactions[0].order_id", equalTo((int) renewalId))
                .body("transactions[0].balance_after", equalTo("0.00"));
        // the reseller's proxy list still has one proxy
        reseller(buyer.key()).get("/v1/reseller/proxies").then().body("proxies.size()", equalTo(1));
    }

    @Test
    void shouldAutoRenewFromTheBalanceAtTheCheckpoint() {
        var buyer = StackApi.newReseller("20.00");
        JsonNode proxy = StackApi.buyActiveProxy(buyer);
        long proxyId = proxy.get("id").asLong();
        LocalDateTime expiresAt = LocalDateTime.parse(proxy.get("expires_at").asText());
        reseller(buyer.key()).contentType(ContentType.JSON).body(Map.of("auto_renew", true))
                .patch("/v1/reseller/proxies/" + proxyId).then().statusCode(200).body("auto_renew", equalTo(true));

        await().atMost(WAIT).pollInterval(Duration.ofSeconds(1)).until(() -> expiresAt.plusHours(1).equals(LocalDateTime.parse(
                reseller(buyer.key()).get("/v1/reseller/proxies/" + proxyId).then().statusCode(200)
                        .extract().jsonPath().getString("expires_at"))));
        // order-service marks the renewal active from the fleet's proxy.renewed, just after the proxy moved
        await().atMost(WAIT).pollInterval(Duration.ofSeconds(1)).until(() -> renewalsOf(buyer, proxyId).stream()
                .anyMatch(order -> "active".equals(order.get("status"))));
        List<Map<String, Object>> renewals = renewalsOf(buyer, proxyId);
        assertEquals(1, renewals.size(), "one auto-renewal: " + renewals);
        reseller(buyer.key()).get("/v1/reseller/balance").then().body("balance", equalTo("0.00"));
    }

    @Test
    void shouldCancelAnAutoRenewalTheBalanceCannotCover() {
        var buyer = StackApi.newReseller("10.00");
        JsonNode proxy = StackApi.buyActiveProxy(buyer);
        long proxyId = proxy.get("id").asLong();
        reseller(buyer.key()).contentType(ContentType.JSON).body(Map.of("auto_renew", true))
                .patch("/v1/reseller/proxies/" + proxyId).then().statusCode(200);

        await().atMost(WAIT).pollInterval(Duration.ofSeconds(1)).until(() -> renewalsOf(buyer, proxyId).stream()
                .anyMatch(order -> "cancelled".equals(order.get("status"))));
        Map<String, Object> refused = renewalsOf(buyer, proxyId).get(0);
        assertEquals("Insufficient balance", refused.get("failure_reason"));
        reseller(buyer.key()).get("/v1/reseller/balance").then().body("balance", equalTo("0.00"));
        reseller(buyer.key()).get("/v1/reseller/balance/transactions").then().body("total", equalTo(2)); // top-up, charge
        reseller(buyer.key()).get("/v1/reseller/proxies/" + proxyId).then().body("status", equalTo("active"))
                .body("expires_at", equalTo(proxy.get("expires_at").asText()));
    }

    private static List<Map<String, Object>> renewalsOf(StackApi.Reseller buyer, long proxyId) {
        return reseller(buyer.key()).get("/v1/reseller/orders").then().statusCode(200).extract().jsonPath()
                .getList("orders.findAll { it.kind == 'renewal' && it.proxy_id == " + proxyId + " }");
    }
}
