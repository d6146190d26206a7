package com.proxyvault.systemtests;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

import static com.proxyvault.systemtests.StackApi.JSON;
import static com.proxyvault.systemtests.StackApi.newReseller;
import static com.proxyvault.systemtests.StackApi.reseller;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 9 through the running stack (gateway → webhook-service → a receiver on 127.0.0.1): a receiver
 * that fails twice then succeeds shows three attempts, deliveries verify with the seed's Python function
 * and the {@code standardwebhooks} npm package, 410 disables and enable restores, rotation signs with
 * both secrets, and the SSRF table is refused. Needs bin/test's compressed retry schedule
 * ({@code PV_WEBHOOK_RETRY_SCHEDULE}).
 */
class WebhooksIT {

    private static final Duration PATIENCE = Duration.ofSeconds(60);
    private static Receiver receiver;

    @BeforeAll
    static void start() throws IOException {
        StackApi.useGateway();
        receiver = new Receiver();
    }

    @AfterAll
    static void stop() {
        receiver.close();
    }

    @Test
    void shouldShowThreeAttemptsForAReceiverThatFailsTwiceAndSignAPurchaseForBothVerifiers() throws Exception {
        StackApi.Reseller buyer = newReseller("10.00");
        receiver.failFirst("/flaky", 2, 500);
        Map<String, Object> created = json(buyer).body(Map.of("url", receiver.url("/flaky"), "events", "*"))
                .post("/v1/reseller/webhooks").then().statusCode(201).extract().as(Map.class);
        long webhookId = ((Number) created.get("id")).longValue();
        String secret = (String) created.get("secret");

        JsonNode proxy = StackApi.buyActiveProxy(buyer);
        try {
            await().atMost(PATIENCE).until(() -> receiver.succeeded("/flaky", "proxy.provisioned") != null);
            Receiver.Request delivered = receiver.succeeded("/flaky", "proxy.provisioned");
            JsonNode body = JSON.readTree(delivered.body());
            assertEquals(proxy.get("id").asLong(), body.get("data").get("id").asLong(), "data is the proxy");
            assertEquals(proxy.get("password").asText(), body.get("data").get("password").asText());
            assertEquals(buyer.id(), body.get("reseller_id").asLong());
            assertTrue(ReferenceVerifiers.seedPython(delivered.body(), delivered.header("X-ProxyVault-Signature"), secret),
                    "the seed's Python verify_signature");
            assertTrue(ReferenceVerifiers.standardWebhooks(delivered.body(), delivered.standardHeaders(), secret),
                    "the standardwebhooks npm package");

            String eventId = body.get("id").asText();
            await().atMost(PATIENCE).untilAsserted(() -> {
                JsonNode history = StackApi.read(reseller(buyer.key()).get("/v1/reseller/webhooks/" + webhookId + "/deliveries")
                        .then().statusCode(200).extract().asString());
                List<String> attempts = new ArrayList<>();
                for (JsonNode row : history.get("deliveries")) {
                    if (row.get("event_id").asText().equals(eventId)) {
                        attempts.add(row.get("attempt").asInt() + ":" + row.get("success").asBoolean() + ":" + row.get("response_status").asInt());
                    }
                }
                assertEquals(List.of("3:true:204", "2:false:500", "1:false:500"), attempts, history.toString());
            });
        } finally {
            StackApi.disconnectProxyOf(buyer, proxy.get("order_id").asLong());
        }
    }

    @Test
    void shouldDisableAnEndpointAnswering410AndDeliverAgainOnceEnabled() {
        StackApi.Reseller owner = newReseller(null);
        receiver.failFirst("/gone", 1, 410);
        long webhookId = json(owner).body(Map.of("url", receiver.url("/gone"), "events", "order.paid"))
                .post("/v1/reseller/webhooks").then().statusCode(201).extract().jsonPath().getLong("id");
        reseller(owner.key()).post("/v1/reseller/webhooks/" + webhookId + "/test").then().statusCode(202);
        await().atMost(PATIENCE).pollInterval(Duration.ofSeconds(1)).untilAsserted(() ->
                reseller(owner.key()).get("/v1/reseller/webhooks").then().statusCode(200)
                        .body("webhooks[0].enabled", equalTo(false))
                        .body("webhooks[0].disabled_reason", containsString("410")));
        reseller(owner.key()).post("/v1/reseller/webhooks/" + webhookId + "/test").then().statusCode(409)
                .body("code", equalTo("conflict"));
        receiver.failFirst("/gone", 0, 204); // the receiver is back
        reseller(owner.key()).post("/v1/reseller/webhooks/" + webhookId + "/enable").then().statusCode(200)
                .body("enabled", equalTo(true));
        reseller(owner.key()).post("/v1/reseller/webhooks/" + webhookId + "/test").then().statusCode(202);
        await().atMost(PATIENCE).until(() -> receiver.succeeded("/gone", "webhook.test") != null);
    }

    @Test
    void shouldSignWithBothSecretsAfterARotation() throws Exception {
        StackApi.Reseller owner = newReseller(null);
        Map<String, Object> created = json(owner).body(Map.of("url", receiver.url("/rotate"), "events", "*"))
                .post("/v1/reseller/webhooks").then().statusCode(201).extract().as(Map.class);
        long webhookId = ((Number) created.get("id")).longValue();
        String newSecret = reseller(owner.key()).post("/v1/reseller/webhooks/" + webhookId + "/rotate-secret")
                .then().statusCode(200).extract().jsonPath().getString("secret");
        reseller(owner.key()).post("/v1/reseller/webhooks/" + webhookId + "/test").then().statusCode(202);
        await().atMost(PATIENCE).until(() -> receiver.succeeded("/rotate", "webhook.test") != null);
        Receiver.Request delivered = receiver.succeeded("/rotate", "webhook.test");
        assertTrue(ReferenceVerifiers.standardWebhooks(delivered.body(), delivered.standardHeaders(), newSecret));
        assertTrue(ReferenceVerifiers.standardWebhooks(delivered.body(), delivered.standardHeaders(), (String) created.get("secret")));
        assertTrue(ReferenceVerifiers.seedPython(delivered.body(), delivered.header("X-ProxyVault-Signature"), newSecret));
    }

    @Test
    void shouldRefuseTheSsrfTableAtRegistration() {
        String[] refused = {
                // 127.0.0.1 and localhost are allowlisted in the local stack (any port), 127.0.0.2 is not
                "https://127.0.0.2/", "https://10.0.0.1/", "https://100.64.0.1/", "https://169.254.169.254/latest/meta-data/",
                "https://172.16.0.1/", "https://192.168.1.1/", "https://0.0.0.0/", "https://192.0.0.8/", "https://192.0.2.1/",
                "https://198.51.100.7/", "https://203.0.113.7/", "https://198.18.0.1/", "https://224.0.0.1/",
                "https://255.255.255.255/", "https://240.0.0.1/", "https://[::1]/", "https://[::]/", "https://[fc00::1]/",
                "https://[fe80::1]/", "https://[fec0::1]/", "https://[ff02::1]/", "https://[::ffff:127.0.0.1]/",
                "https://[::ffff:8.8.8.8]/", "https://[::ffff:0:10.0.0.1]/", "https://[64:ff9b::a9fe:a9fe]/",
                "https://[2002:7f00:1::]/", "https://[2001::1]/", "https://[2001:db8::1]/",
                "https://0177.0.0.1/", "https://0x7f.0.0.1/", "https://2130706433/", "https://127.1/",
                "https://user:pass@93.184.216.34/", "http://93.184.216.34/"};
        StackApi.Reseller owner = newReseller(null);
        for (String url : refused) {
            json(owner).body(Map.of("url", url, "events", "*")).post("/v1/reseller/webhooks")
                    .then().statusCode(422).body("code", equalTo("validation_failed"));
        }
        reseller(owner.key()).get("/v1/reseller/webhooks").then().statusCode(200).body("webhooks.size()", equalTo(0));
    }

    private static io.restassured.specification.RequestSpecification json(StackApi.Reseller reseller) {
        return reseller(reseller.key()).contentType(ContentType.JSON);
    }

    /** A receiver on 127.0.0.1: per path, the first N attempts of each event get a chosen failure, then 204. */
    static final class Receiver implements AutoCloseable {

        record Request(String path, Map<String, List<String>> headers, byte[] body, int answered) {
            String header(String name) {
                return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                        .findFirst().map(e -> e.getValue().get(0)).orElse(null);
            }

            Map<String, String> standardHeaders() {
                Map<String, String> standard = new HashMap<>();
                for (String name : List.of("webhook-id", "webhook-timestamp", "webhook-signature")) {
                    standard.put(name, header(name));
                }
                return standard;
            }
        }

        private final HttpServer server;
        private final List<Request> requests = new CopyOnWriteArrayList<>();
        private final Map<String, int[]> failures = new ConcurrentHashMap<>(); // path -> {count, status}
        private final Map<String, Integer> seen = new ConcurrentHashMap<>();   // path + event id -> attempts

        Receiver() throws IOException {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.setExecutor(Executors.newCachedThreadPool());
            server.createContext("/", exchange -> {
                byte[] body;
                try (InputStream in = exchange.getRequestBody()) {
                    body = in.readAllBytes();
                }
                String path = exchange.getRequestURI().getPath();
                String eventId = exchange.getRequestHeaders().getFirst("webhook-id");
                int attempt = seen.merge(path + " " + eventId, 1, Integer::sum);
                int[] failure = failures.getOrDefault(path, new int[] {0, 204});
                int status = attempt <= failure[0] ? failure[1] : 204;
                requests.add(new Request(path, Map.copyOf(exchange.getRequestHeaders()), body, status));
                exchange.sendResponseHeaders(status, -1);
                exchange.close();
            });
            server.start();
        }

        void failFirst(String path, int attempts, int status) {
            failures.put(path, new int[] {attempts, status});
        }

        String url(String path) {
            return "http://127.0.0.1:" + server.getAddress().getPort() + path;
        }

        /** The first request to {@code path} of event {@code type} that was answered 2xx, or null. */
        Request succeeded(String path, String type) {
            return requests.stream().filter(r -> r.path().equals(path) && type.equals(r.header("X-ProxyVault-Event"))
                    && r.answered() / 100 == 2).findFirst().orElse(null);
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }
}
