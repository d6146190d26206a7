package com.proxyvault.systemtests;

import com.fasterxml.jackson.databind.JsonNode;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static com.proxyvault.systemtests.StackApi.JSON;
import static com.proxyvault.systemtests.StackApi.reseller;
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
        Drills.Buyer buyer = Drills.buyer("100.00", 3, receiver);
        List<Long> orders = new ArrayList<>();
        for (int i = 0; i < PURCHASES; i++) {
            if (i == 2) {
                Drills.drill("kill", service);
            }
            String attempt = UUID.randomUUID().toString();
            long orderId = retryUntil201or200(() -> reseller(buyer.key()).header("Idempotency-Key", "order-" + attempt)
                    .contentType(ContentType.JSON).body(Map.of("product_id", 1, "pricing_id", 1))
                    .post("/v1/reseller/orders")).get("id").asLong();
            retryUntil201or200(() -> reseller(buyer.key()).header("Idempotency-Key", "pay-" + attempt)
                    .post("/v1/reseller/orders/" + orderId + "/pay"));
            orders.add(orderId);
        }

        Drills.awaitAllActive(buyer, PURCHASES, Duration.ofSeconds(120));
        Drills.assertEachWebhookOnce(receiver, PURCHASES);
        Drills.assertLedgerAddsUp(buyer, 1 + PURCHASES, "50.00"); // paid once each: 100.00 - 5 x 10.00
        Drills.release(buyer, orders);
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
}
