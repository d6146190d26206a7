package com.proxyvault.systemtests;

import com.fasterxml.jackson.databind.JsonNode;
import io.restassured.http.ContentType;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static com.proxyvault.systemtests.StackApi.JSON;
import static com.proxyvault.systemtests.StackApi.newReseller;
import static com.proxyvault.systemtests.StackApi.reseller;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the drills share (docs/money.md, "Drills"): a buyer, bin/drill, and the checks after the break. */
final class Drills {

    private Drills() {
    }

    /**
     * A funded reseller with a webhook to {@code receiver} and {@code extraKeys} more keys, handed out in
     * turn by {@link #key()}: each key has its own 60 requests a minute, and a drill makes many.
     */
    record Buyer(StackApi.Reseller reseller, List<String> keys, AtomicInteger calls) {
        String key() {
            return keys.get(calls.getAndIncrement() % keys.size());
        }
    }

    static Buyer buyer(String topUp, int extraKeys, LocalServers.WebhookReceiver receiver) {
        StackApi.Reseller reseller = newReseller(topUp);
        List<String> keys = new ArrayList<>(List.of(reseller.key()));
        for (int i = 0; i < extraKeys; i++) {
            keys.add(reseller(reseller.key()).contentType(ContentType.JSON).body(Map.of("name", "drill-" + i))
                    .post("/v1/reseller/keys").then().statusCode(201).extract().jsonPath().getString("key"));
        }
        Buyer buyer = new Buyer(reseller, keys, new AtomicInteger());
        reseller(buyer.key()).contentType(ContentType.JSON).body(Map.of("url", receiver.url(), "events", "*"))
                .post("/v1/reseller/webhooks").then().statusCode(201);
        return buyer;
    }

    /** Runs {@code bin/drill args…} from the repository (the tests run in system-tests/) and waits for it. */
    static void drill(String... args) {
        try {
            Path repo = Path.of("..").toAbsolutePath().normalize();
            List<String> command = new ArrayList<>(List.of(repo.resolve("bin/drill").toString()));
            command.addAll(List.of(args));
            Process drill = new ProcessBuilder(command).directory(repo.toFile()).inheritIO().start();
            assertTrue(drill.waitFor(300, TimeUnit.SECONDS) && drill.exitValue() == 0, "bin/drill " + String.join(" ", args));
        } catch (Exception e) {
            throw new IllegalStateException("bin/drill " + String.join(" ", args), e);
        }
    }

    /** Waits until all {@code purchases} orders of the buyer are active. */
    static void awaitAllActive(Buyer buyer, int purchases, Duration atMost) {
        await().atMost(atMost).pollInterval(Duration.ofSeconds(2)).untilAsserted(() ->
                assertEquals(purchases, reseller(buyer.key()).get("/v1/reseller/orders?status=active&limit=100")
                        .then().statusCode(200).extract().jsonPath().getInt("total")));
    }

    /** Every delivered event arrived once, and each purchase gave one order.paid and one proxy.provisioned. */
    static void assertEachWebhookOnce(LocalServers.WebhookReceiver receiver, int purchases) throws Exception {
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1)).until(() ->
                receiver.deliveries.size() >= 2 * purchases);
        Thread.sleep(2_000); // a duplicate would arrive right behind the originals
        Map<String, Integer> perEvent = new HashMap<>();
        Map<String, Integer> perType = new HashMap<>();
        for (LocalServers.Delivery delivery : receiver.deliveries) {
            JsonNode event = JSON.readTree(delivery.body());
            perEvent.merge(event.get("id").asText(), 1, Integer::sum);
            perType.merge(event.get("type").asText(), 1, Integer::sum);
        }
        assertTrue(perEvent.values().stream().allMatch(n -> n == 1), "each event once: " + perEvent);
        assertEquals(purchases, perType.getOrDefault("order.paid", 0), "order.paid per order: " + perType);
        assertEquals(purchases, perType.getOrDefault("proxy.provisioned", 0), "proxy.provisioned per order: " + perType);
    }

    /**
     * The account's ledger invariant through the public API: {@code entries} entries, each balance_after
     * the one before plus its amount, ending at {@code balance}, which is also the balance.
     */
    static void assertLedgerAddsUp(Buyer buyer, int entries, String balance) throws Exception {
        List<JsonNode> oldestFirst = new ArrayList<>();
        for (int offset = 0; ; offset += 100) { // newest first, 100 a page
            JsonNode page = JSON.readTree(reseller(buyer.key()).get("/v1/reseller/balance/transactions?limit=100&offset=" + offset)
                    .then().statusCode(200).extract().asString());
            assertEquals(entries, page.get("total").asInt());
            page.get("transactions").forEach(oldestFirst::add);
            if (oldestFirst.size() >= entries || page.get("transactions").isEmpty()) {
                break;
            }
        }
        assertEquals(entries, oldestFirst.size());
        Collections.reverse(oldestFirst);
        BigDecimal running = BigDecimal.ZERO.setScale(2);
        for (JsonNode entry : oldestFirst) {
            running = running.add(new BigDecimal(entry.get("amount").asText()));
            assertEquals(running.toPlainString(), entry.get("balance_after").asText(), "entry " + entry);
        }
        assertEquals(balance, running.toPlainString());
        reseller(buyer.key()).get("/v1/reseller/balance").then().statusCode(200).body("balance", equalTo(balance));
    }

    /** Disconnects the buyer's proxies: frees the simulated modems for later tests and runs. */
    static void release(Buyer buyer, List<Long> orders) {
        for (long orderId : orders) {
            StackApi.disconnectProxyOf(new StackApi.Reseller(buyer.reseller().id(), buyer.key()), orderId);
        }
    }
}
