package com.proxyvault.systemtests;

import com.fasterxml.jackson.databind.JsonNode;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import static com.proxyvault.systemtests.StackApi.JSON;
import static com.proxyvault.systemtests.StackApi.newReseller;
import static com.proxyvault.systemtests.StackApi.reseller;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Kafka-outage drill (issue 7, docs/money.md "Drills"): 20 purchases, with the stack's Kafka stopped
 * for 30 s (bin/drill kafka-outage) after the fifth. Pay does not need Kafka (billing is called
 * synchronously), so every pay succeeds; what the outage holds back are the events in the outboxes.
 * When Kafka is back, every order must end active, every webhook must arrive exactly once per event,
 * and the balance must be exactly what the 20 charges left.
 */
class KafkaOutageDrillIT {

    private static final int PURCHASES = 20;
    private static LocalServers.WebhookReceiver receiver;

    @BeforeAll
    static void start() throws Exception {
        StackApi.useGateway();
        receiver = new LocalServers.WebhookReceiver();
    }

    @AfterAll
    static void stop() {
        if (receiver != null) {
            receiver.close();
        }
    }

    @Test
    void shouldCompleteEveryPurchaseExactlyOnceAcrossAKafkaOutage() throws Exception {
        StackApi.Reseller buyer = newReseller("250.00");
        // Each key has its own 60 requests a minute: the drill's requests rotate over several.
        List<String> keys = new ArrayList<>(List.of(buyer.key()));
        for (int i = 0; i < 5; i++) {
            keys.add(reseller(buyer.key()).contentType(ContentType.JSON).body(Map.of("name", "drill-" + i))
                    .post("/v1/reseller/keys").then().statusCode(201).extract().jsonPath().getString("key"));
        }
        AtomicInteger calls = new AtomicInteger();
        java.util.function.Supplier<String> key = () -> keys.get(calls.getAndIncrement() % keys.size());
        reseller(key.get()).contentType(ContentType.JSON).body(Map.of("url", receiver.url(), "events", "*"))
                .post("/v1/reseller/webhooks").then().statusCode(201);

        List<Long> orders = new ArrayList<>();
        CompletableFuture<Void> drill = null;
        for (int i = 0; i < PURCHASES; i++) {
            if (i == 5) {
                drill = CompletableFuture.runAsync(KafkaOutageDrillIT::kafkaOutage);
                Thread.sleep(2_000); // purchases 6..20 are paid while Kafka is down
            }
            long orderId = reseller(key.get()).contentType(ContentType.JSON).body(Map.of("product_id", 1, "pricing_id", 1))
                    .post("/v1/reseller/orders").then().statusCode(201).extract().jsonPath().getLong("id");
            reseller(key.get()).post("/v1/reseller/orders/" + orderId + "/pay").then().statusCode(200);
            orders.add(orderId);
        }
        drill.get(120, TimeUnit.SECONDS);

        await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() ->
                assertEquals(PURCHASES, reseller(key.get()).get("/v1/reseller/orders?status=active&limit=100")
                        .then().statusCode(200).extract().jsonPath().getInt("total")));
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1)).until(() ->
                receiver.deliveries.size() >= 2 * PURCHASES);
        Thread.sleep(3_000); // a duplicate would arrive right behind the originals

        Map<String, Integer> perEvent = new HashMap<>();
        Map<String, Long> perType = new HashMap<>();
        for (LocalServers.Delivery delivery : receiver.deliveries) {
            JsonNode event = JSON.readTree(delivery.body());
            perEvent.merge(event.get("id").asText(), 1, Integer::sum);
            perType.merge(event.get("type").asText(), 1L, Long::sum);
        }
        List<String> duplicated = perEvent.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey)
                .collect(Collectors.toList());
        assertTrue(duplicated.isEmpty(), "events delivered more than once: " + duplicated);
        assertEquals(PURCHASES, perType.getOrDefault("order.paid", 0L), "order.paid per order: " + perType);
        assertEquals(PURCHASES, perType.getOrDefault("proxy.provisioned", 0L), "proxy.provisioned per order: " + perType);

        // Exactly 20 charges of 10.00: nothing lost, nothing charged twice.
        reseller(key.get()).get("/v1/reseller/balance").then().statusCode(200)
                .body("balance", org.hamcrest.Matchers.equalTo("50.00"));
        // The ledger invariant for this account: one top-up and 20 charges, each entry's balance_after
        // the one before it plus its amount, ending at the balance (docs/money.md).
        JsonNode ledger = JSON.readTree(reseller(key.get()).get("/v1/reseller/balance/transactions?limit=100")
                .then().statusCode(200).extract().asString());
        assertEquals(1 + PURCHASES, ledger.get("total").asInt());
        java.math.BigDecimal running = java.math.BigDecimal.ZERO.setScale(2);
        List<JsonNode> entries = new ArrayList<>();
        ledger.get("transactions").forEach(entries::add);
        java.util.Collections.reverse(entries); // oldest first
        for (JsonNode entry : entries) {
            running = running.add(new java.math.BigDecimal(entry.get("amount").asText()));
            assertEquals(running.toPlainString(), entry.get("balance_after").asText(), "entry " + entry);
        }
        assertEquals("50.00", running.toPlainString());

        for (long orderId : orders) { // frees the simulated modems for later runs
            StackApi.disconnectProxyOf(new StackApi.Reseller(buyer.id(), key.get()), orderId);
        }
    }

    private static void kafkaOutage() {
        try {
            Path repo = Path.of("..").toAbsolutePath().normalize(); // the tests run in system-tests/
            Process drill = new ProcessBuilder(repo.resolve("bin/drill").toString(), "kafka-outage", "30")
                    .directory(repo.toFile()).inheritIO().start();
            if (!drill.waitFor(110, TimeUnit.SECONDS) || drill.exitValue() != 0) {
                throw new IllegalStateException("bin/drill kafka-outage failed");
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
