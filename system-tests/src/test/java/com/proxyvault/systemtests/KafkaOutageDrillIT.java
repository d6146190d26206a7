package com.proxyvault.systemtests;

import io.restassured.http.ContentType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static com.proxyvault.systemtests.StackApi.reseller;

/**
 * The Kafka-outage drill (issue 7, docs/money.md "Drills"): 20 purchases, with the stack's Kafka stopped
 * for 30 s (bin/drill kafka-outage) after the fifth. Pay does not need Kafka (billing is called
 * synchronously), so every pay succeeds; what the outage holds back are the events in the outboxes.
 * When Kafka is back, every order must end active, every webhook must arrive exactly once per event,
 * and the account's ledger must add up to exactly 20 charges.
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
        Drills.Buyer buyer = Drills.buyer("250.00", 5, receiver);
        List<Long> orders = new ArrayList<>();
        CompletableFuture<Void> outage = null;
        for (int i = 0; i < PURCHASES; i++) {
            if (i == 5) {
                outage = CompletableFuture.runAsync(() -> Drills.drill("kafka-outage", "30"));
                Thread.sleep(2_000); // purchases 6..20 are paid while Kafka is down
            }
            long orderId = reseller(buyer.key()).contentType(ContentType.JSON).body(Map.of("product_id", 1, "pricing_id", 1))
                    .post("/v1/reseller/orders").then().statusCode(201).extract().jsonPath().getLong("id");
            reseller(buyer.key()).post("/v1/reseller/orders/" + orderId + "/pay").then().statusCode(200);
            orders.add(orderId);
        }
        outage.get(120, TimeUnit.SECONDS);

        Drills.awaitAllActive(buyer, PURCHASES, Duration.ofSeconds(180));
        Drills.assertEachWebhookOnce(receiver, PURCHASES);
        Drills.assertLedgerAddsUp(buyer, 1 + PURCHASES, "50.00"); // one top-up, 20 charges of 10.00
        Drills.release(buyer, orders);
    }
}
