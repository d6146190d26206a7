package com.proxyvault.systemtests;

import com.fasterxml.jackson.databind.JsonNode;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static com.proxyvault.systemtests.StackApi.JSON;
import static com.proxyvault.systemtests.StackApi.newReseller;
import static com.proxyvault.systemtests.StackApi.reseller;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The crash drills (issue 7, docs/money.md "Drills"): `kill -9` one service in the middle of a run of
 * purchases, start it again (bin/drill kill), and keep buying the way a reseller's code would — retrying
 * what answered 503, with an {@code Idempotency-Key} so a retry never makes a second order or payment.
 * Afterwards every order is active, every webhook arrived exactly once, and the account's ledger adds up
 * to a balance that paid each order exactly once.
 */
class ServiceCrashDrillIT {

    private static final int PURCHASES = 5;
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

    @ParameterizedTest(name = "kill -9 {0}")
    @ValueSource(strings = {"order-service", "proxy-fleet-service", "billing-service"})
    void shouldCompleteEveryPurchaseExactlyOnceWhenAServiceIsKilledMidFlow(String service) throws Exception {
        receiver.deliveries.clear();
        StackApi.Reseller buyer = newReseller("100.00");
        List<String> keys = new ArrayList<>(List.of(buyer.key()));
        for (int i = 0; i < 3; i++) {
            keys.add(reseller(buyer.key()).contentType(ContentType.JSON).body(Map.of("name", "crash-" + i))
                    .post("/v1/reseller/keys").then().statusCode(201).extract().jsonPath().getString("key"));
        }
        AtomicInteger calls = new AtomicInteger();
        Supplier<String> key = () -> keys.get(calls.getAndIncrement() % keys.size());
        reseller(key.get()).contentType(ContentType.JSON).body(Map.of("url", receiver.url(), "events", "*"))
                .post("/v1/reseller/webhooks").then().statusCode(201);

        List<Long> orders = new ArrayList<>();
        for (int i = 0; i < PURCHASES; i++) {
            if (i == 2) {
                drill("kill", service);
            }
            String attempt = UUID.randomUUID().toString();
            long orderId = retryUntil201or200(() -> reseller(key.get()).header("Idempotency-Key", "order-" + attempt)
                    .contentType(ContentType.JSON).body(Map.of("product_id", 1, "pricing_id", 1))
                    .post("/v1/reseller/orders")).get("id").asLong();
            retryUntil201or200(() -> reseller(key.get()).header("Idempotency-Key", "pay-" + attempt)
                    .post("/v1/reseller/orders/" + orderId + "/pay"));
            orders.add(orderId);
        }

        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() ->
                assertEquals(PURCHASES, reseller(key.get()).get("/v1/reseller/orders?status=active&limit=100")
                        .then().statusCode(200).extract().jsonPath().getInt("total")));
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).until(() ->
                receiver.deliveries.size() >= 2 * PURCHASES);
        Thread.sleep(2_000); // a duplicate would arrive right behind the originals
        Map<String, Integer> perEvent = new HashMap<>();
        Map<String, Integer> perType = new HashMap<>();
        for (LocalServers.Delivery delivery : receiver.deliveries) {
            JsonNode event = JSON.readTree(delivery.body());
            perEvent.merge(event.get("id").asText(), 1, Integer::sum);
            perType.merge(event.get("type").asText(), 1, Integer::sum);
        }
        assertTrue(perEvent.values().stream().allMatch(n -> n == 1), "each event once: " + perEvent);
        assertEquals(PURCHASES, perType.getOrDefault("order.paid", 0), perType.toString());
        assertEquals(PURCHASES, perType.getOrDefault("proxy.provisioned", 0), perType.toString());

        // Paid once each: 100.00 - 5 x 10.00, and the ledger adds up to it entry by entry.
        JsonNode ledger = JSON.readTree(reseller(key.get()).get("/v1/reseller/balance/transactions?limit=100")
                .then().statusCode(200).extract().asString());
        assertEquals(1 + PURCHASES, ledger.get("total").asInt());
        List<JsonNode> entries = new ArrayList<>();
        ledger.get("transactions").forEach(entries::add);
        Collections.reverse(entries);
        BigDecimal running = BigDecimal.ZERO.setScale(2);
        for (JsonNode entry : entries) {
            running = running.add(new BigDecimal(entry.get("amount").asText()));
            assertEquals(running.toPlainString(), entry.get("balance_after").asText(), "entry " + entry);
        }
        assertEquals("50.00", running.toPlainString());
        reseller(key.get()).get("/v1/reseller/balance").then().body("balance", org.hamcrest.Matchers.equalTo("50.00"));

        for (long orderId : orders) { // frees the simulated modems for later runs
            StackApi.disconnectProxyOf(new StackApi.Reseller(buyer.id(), key.get()), orderId);
        }
    }

    /** A reseller's retry loop: 503 (a service is restarting) is tried again; anything else must be 2xx. */
    private static JsonNode retryUntil201or200(Supplier<io.restassured.response.Response> call) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (true) {
            io.restassured.response.Response response = call.get();
            int status = response.statusCode();
            if (status == 200 || status == 201) {
                return JSON.readTree(response.asString());
            }
            assertTrue(status == 503 || status == 409 && "idempotency_in_progress".equals(response.jsonPath().getString("code")),
                    "only 503 (or an in-flight duplicate) may be retried, got " + status + " " + response.asString());
            assertTrue(System.nanoTime() < deadline, "still " + status + " after 90 s");
            Thread.sleep(1_000);
        }
    }

    private static void drill(String... args) throws Exception {
        Path repo = Path.of("..").toAbsolutePath().normalize(); // the tests run in system-tests/
        List<String> command = new ArrayList<>(List.of(repo.resolve("bin/drill").toString()));
        command.addAll(List.of(args));
        Process drill = new ProcessBuilder(command).directory(repo.toFile()).inheritIO().start();
        assertTrue(drill.waitFor(150, TimeUnit.SECONDS) && drill.exitValue() == 0, "bin/drill " + String.join(" ", args));
    }
}
