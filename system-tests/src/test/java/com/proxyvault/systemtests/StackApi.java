package com.proxyvault.systemtests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

/**
 * What the system tests share: the gateway of the running stack, requests as an operator or as a
 * reseller, a funded reseller, an order that became active. Everything goes through the public API.
 */
final class StackApi {

    /** The seed's timestamps: UTC, seconds, no zone ({@code 2026-05-25T12:00:00}). */
    static final String TIMESTAMP = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d";

    /** The seed's money: a plain decimal string with two decimals ({@code "150.00"}). */
    static final String MONEY = "\\d+\\.\\d\\d";

    static final ObjectMapper JSON = new ObjectMapper();

    private StackApi() {
    }

    record Reseller(long id, String key) {
    }

    static void useGateway() {
        RestAssured.baseURI = System.getProperty("proxyvault.gateway.url", "http://localhost:8080");
    }

    static RequestSpecification operator() {
        return given().header("Authorization", "Bearer " + OperatorToken.sign()).contentType(ContentType.JSON);
    }

    static RequestSpecification reseller(String key) {
        return given().header("Authorization", "Bearer " + key);
    }

    /** A new reseller with its first key, topped up with {@code topUp} (a money string) unless it is null. */
    static Reseller newReseller(String topUp) {
        var created = operator().body(Map.of("name", "st-" + UUID.randomUUID())).post("/v1/admin/resellers")
                .then().statusCode(201).extract().jsonPath();
        Reseller reseller = new Reseller(created.getLong("id"), created.getString("api_key.key"));
        if (topUp != null) {
            String reference = "st-deposit-" + UUID.randomUUID();
            for (int i = 0; i < 2; i++) { // the same reference twice tops up once
                operator().body(Map.of("amount", topUp, "reference", reference))
                        .post("/v1/admin/resellers/" + reseller.id() + "/topups")
                        .then().statusCode(201).body("balance", equalTo(topUp)).body("currency", equalTo("USD"));
            }
        }
        return reseller;
    }

    static long createOrder(Reseller reseller, int pricingId) {
        return reseller(reseller.key()).contentType(ContentType.JSON)
                .body(Map.of("product_id", 1, "pricing_id", pricingId)).post("/v1/reseller/orders")
                .then().statusCode(201).extract().jsonPath().getLong("id");
    }

    /** Polls every half second: the key's 60 requests a minute must last the rest of the test. */
    static void awaitActive(Reseller reseller, long orderId) {
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                reseller(reseller.key()).get("/v1/reseller/orders/" + orderId).then().statusCode(200)
                        .body("status", equalTo("active")));
    }

    /** Buys a one-hour proxy (10.00), waits until it is active and returns it as GET /proxies lists it. */
    static JsonNode buyActiveProxy(Reseller reseller) {
        long orderId = createOrder(reseller, 1);
        reseller(reseller.key()).post("/v1/reseller/orders/" + orderId + "/pay").then().statusCode(200);
        awaitActive(reseller, orderId);
        for (JsonNode proxy : read(reseller(reseller.key()).get("/v1/reseller/proxies").then().statusCode(200)
                .extract().asString()).get("proxies")) {
            if (proxy.path("order_id").asLong() == orderId) {
                return proxy;
            }
        }
        throw new AssertionError("order " + orderId + " is active but its proxy is not listed");
    }

    /**
     * docs/api.md's error body: a JSON object with a string {@code detail} and a string {@code code}.
     * Returns the code.
     */
    static String assertErrorBody(String context, String contentType, String body) {
        if (contentType == null || !contentType.toLowerCase(java.util.Locale.ROOT).startsWith("application/json")) {
            throw new AssertionError(context + ": error Content-Type is " + contentType + ", body " + abbreviate(body));
        }
        JsonNode error;
        try {
            error = JSON.readTree(body);
        } catch (IOException e) {
            throw new AssertionError(context + ": error body is not JSON: " + abbreviate(body));
        }
        if (error == null || !error.isObject() || !error.path("detail").isTextual() || !error.path("code").isTextual()
                || error.get("code").asText().isBlank()) {
            throw new AssertionError(context + ": error body is not {\"detail\": string, \"code\": string}: " + abbreviate(body));
        }
        return error.get("code").asText();
    }

    static String abbreviate(String text) {
        return text == null || text.length() <= 300 ? text : text.substring(0, 300) + "…(" + text.length() + " chars)";
    }

    /** Disconnects the proxy of an active order: frees its simulated modem for later tests and runs. */
    static void disconnectProxyOf(Reseller reseller, long orderId) {
        for (JsonNode proxy : read(reseller(reseller.key()).get("/v1/reseller/proxies").then().statusCode(200)
                .extract().asString()).get("proxies")) {
            if (proxy.path("order_id").asLong() == orderId) {
                reseller(reseller.key()).post("/v1/reseller/proxies/" + proxy.get("id").asLong() + "/disconnect")
                        .then().statusCode(200);
            }
        }
    }

    static JsonNode read(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + json, e);
        }
    }
}
