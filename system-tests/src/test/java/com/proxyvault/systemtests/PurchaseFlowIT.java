package com.proxyvault.systemtests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;

import static com.proxyvault.systemtests.StackApi.newReseller;
import static com.proxyvault.systemtests.StackApi.reseller;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The purchase flow of the seed contract, end to end, against the stack `bin/stack up` runs: every
 * service a separate process, real PostgreSQL, real Kafka, the real device-agent over gRPC. Only the
 * public API is used; the only thing simulated is the modem hardware behind the agent.
 */
class PurchaseFlowIT {

    private static final String TIMESTAMP = StackApi.TIMESTAMP;
    private static final ObjectMapper JSON = StackApi.JSON;

    private static HttpServer origin;
    private static LocalServers.WebhookReceiver receiver;

    @BeforeAll
    static void start() throws Exception {
        StackApi.useGateway();
        origin = LocalServers.origin("hello from the origin");
        receiver = new LocalServers.WebhookReceiver();
    }

    @AfterAll
    static void stop() {
        origin.stop(0);
        receiver.close();
    }

    @Test
    void shouldBuyAProxyThatReallyProxiesAndAnnounceItWithSignedWebhooks() throws Exception {
        StackApi.Reseller buyer = newReseller("100.00");
        reseller(buyer.key()).get("/v1/reseller/balance")
                .then().statusCode(200).body("balance", equalTo("100.00")).body("currency", equalTo("USD"));

        reseller(buyer.key()).get("/v1/reseller/products")
                .then().statusCode(200)
                .body("products[0].id", equalTo(1))
                .body("products[0].name", equalTo("Multi Hop Proxy"))
                .body("products[0].pricing.id", hasItem(2))
                .body("products[0].pricing.find { it.id == 2 }.label", equalTo("24 Hour"))
                .body("products[0].pricing.find { it.id == 2 }.price", equalTo("20.00"));

        String secret = reseller(buyer.key()).contentType(ContentType.JSON)
                .body(Map.of("url", receiver.url(), "events", "*")).post("/v1/reseller/webhooks")
                .then().statusCode(201)
                .body("url", equalTo(receiver.url()))
                .body("events", equalTo("*"))
                .body("secret", startsWith("whsec_"))
                .body("created_at", matchesPattern(TIMESTAMP))
                .extract().jsonPath().getString("secret");

        long orderId = reseller(buyer.key()).contentType(ContentType.JSON)
                .body(Map.of("product_id", 1, "pricing_id", 2)).post("/v1/reseller/orders")
                .then().statusCode(201)
                .body("product_name", equalTo("Multi Hop Proxy"))
                .body("pricing_label", equalTo("24 Hour"))
                .body("amount_usd", equalTo("20.00"))
                .body("status", equalTo("pending_payment"))
                .body("created_at", matchesPattern(TIMESTAMP))
                .extract().jsonPath().getLong("id");

        reseller(buyer.key()).post("/v1/reseller/orders/" + orderId + "/pay")
                .then().statusCode(200)
                .body("order_id", equalTo((int) orderId))
                .body("status", equalTo("paid"))
                .body("new_balance", equalTo("80.00"));

        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(250)).untilAsserted(() ->
                reseller(buyer.key()).get("/v1/reseller/orders/" + orderId).then().statusCode(200).body("status", equalTo("active")));

        JsonNode proxy = JSON.readTree(reseller(buyer.key()).get("/v1/reseller/proxies")
                .then().statusCode(200).extract().asString()).get("proxies").get(0);
        assertNotNull(proxy, "the active proxy is listed");
        for (String field : new String[]{"id", "name", "ip", "port", "username", "password", "location_id", "status", "expires_at"}) {
            assertTrue(proxy.hasNonNull(field), "proxy has " + field + ": " + proxy);
        }
        assertEquals("active", proxy.get("status").asText());
        assertTrue(proxy.get("expires_at").asText().matches(TIMESTAMP));
        reseller(buyer.key()).get("/v1/reseller/proxies/" + proxy.get("id").asLong())
                .then().statusCode(200).body("password", equalTo(proxy.get("password").asText()));

        // The proxy really proxies: absolute-form and CONNECT reach the origin this test started.
        String ip = proxy.get("ip").asText();
        int port = proxy.get("port").asInt();
        String credentials = ProxyClient.basic(proxy.get("username").asText(), proxy.get("password").asText());
        String target = "127.0.0.1:" + origin.getAddress().getPort();
        String viaAbsolute = ProxyClient.absoluteFormGet(ip, port, credentials, target, "/absolute");
        assertTrue(viaAbsolute.startsWith("HTTP/1.1 200"), viaAbsolute);
        assertTrue(viaAbsolute.contains("hello from the origin /absolute"), viaAbsolute);
        String viaConnect = ProxyClient.connectThenGet(ip, port, credentials, target, "/tunnel");
        assertTrue(viaConnect.contains("hello from the origin /tunnel"), viaConnect);
        String refused = ProxyClient.absoluteFormGet(ip, port, ProxyClient.basic("nobody", "wrong"), target, "/absolute");
        assertTrue(refused.startsWith("HTTP/1.1 407"), refused);

        // The webhook receiver got order.paid and proxy.provisioned, each signed as the seed says.
        await().atMost(Duration.ofSeconds(15)).until(() -> eventsFor(orderId).contains("order.paid")
                && eventsFor(orderId).contains("proxy.provisioned"));
        // pay and billing's charge.posted backstop both could complete the order: it is announced once
        assertEquals(1, eventsFor(orderId).stream().filter("order.paid"::equals).count(), "order.paid delivered once");
        for (LocalServers.Delivery delivery : receiver.deliveries) {
            JsonNode event = JSON.readTree(delivery.body());
            assertEquals(event.get("type").asText(), delivery.header("X-ProxyVault-Event"));
            assertTrue(delivery.header("Content-Type").startsWith("application/json"));
            assertTrue(verifySignature(delivery.body(), delivery.header("X-ProxyVault-Signature"), secret),
                    "signature verifies like the seed's Python/Node snippets");
            assertEquals(buyer.id(), event.get("reseller_id").asLong());
        }
        JsonNode provisioned = receiver.deliveries.stream().map(d -> readTree(d.body()))
                .filter(e -> e.get("type").asText().equals("proxy.provisioned")).findFirst().orElseThrow();
        assertEquals(proxy.get("port").asInt(), provisioned.get("data").get("port").asInt());
        assertEquals(proxy.get("username").asText(), provisioned.get("data").get("username").asText());

        long webhookId = reseller(buyer.key()).get("/v1/reseller/webhooks").then().statusCode(200)
                .extract().jsonPath().getLong("webhooks[0].id");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                reseller(buyer.key()).get("/v1/reseller/webhooks/" + webhookId + "/deliveries").then().statusCode(200)
                        .body("deliveries.event", hasItem("proxy.provisioned"))
                        .body("deliveries[0].success", equalTo(true))
                        .body("deliveries[0].response_status", equalTo(204)));

        // Short of money: 402 with the seed's detail, and nothing changes.
        long monthly = reseller(buyer.key()).contentType(ContentType.JSON)
                .body(Map.of("product_id", 1, "pricing_id", 3)).post("/v1/reseller/orders")
                .then().statusCode(201).body("amount_usd", equalTo("225.00")).extract().jsonPath().getLong("id");
        reseller(buyer.key()).post("/v1/reseller/orders/" + monthly + "/pay")
                .then().statusCode(402).body("detail", equalTo("Insufficient balance"));
        reseller(buyer.key()).get("/v1/reseller/balance").then().body("balance", equalTo("80.00"));
        reseller(buyer.key()).get("/v1/reseller/orders/" + monthly).then().body("status", equalTo("pending_payment"));

        // Frees the simulated modem again, so the suite can run many times against one local stack.
        reseller(buyer.key()).post("/v1/reseller/proxies/" + proxy.get("id").asLong() + "/disconnect").then().statusCode(200);
    }

    @Test
    void shouldResetDisconnectAndMoveAProxyThroughTheRealAgent() throws Exception {
        StackApi.Reseller buyer = newReseller("20.00");
        long orderId = reseller(buyer.key()).contentType(ContentType.JSON)
                .body(Map.of("product_id", 1, "pricing_id", 1)).post("/v1/reseller/orders")
                .then().statusCode(201).extract().jsonPath().getLong("id");
        reseller(buyer.key()).post("/v1/reseller/orders/" + orderId + "/pay").then().statusCode(200).body("new_balance", equalTo("10.00"));
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(250)).untilAsserted(() ->
                reseller(buyer.key()).get("/v1/reseller/orders/" + orderId).then().body("status", equalTo("active")));
        JsonNode proxy = JSON.readTree(reseller(buyer.key()).get("/v1/reseller/proxies").then().extract().asString())
                .get("proxies").get(0);
        long proxyId = proxy.get("id").asLong();
        String base = "/v1/reseller/proxies/" + proxyId;
        String target = "127.0.0.1:" + origin.getAddress().getPort();

        reseller(buyer.key()).get(base + "/locations").then().statusCode(200)
                .body("locations.id", hasItem("LAX")).body("locations.id", hasItem("NYC")).body("locations.id", hasItem("MIA"));
        reseller(buyer.key()).contentType(ContentType.JSON).body(Map.of("mode", "fast")).post(base + "/reset")
                .then().statusCode(200).body("exit_ip", matchesPattern("\\d+\\.\\d+\\.\\d+\\.\\d+"));
        reseller(buyer.key()).contentType(ContentType.JSON).body(Map.of("fingerprint", "windows")).post(base + "/fingerprint")
                .then().statusCode(200).body("fingerprint", equalTo("windows"));

        // Disconnect closes the port for real.
        reseller(buyer.key()).post(base + "/disconnect").then().statusCode(200).body("detail", equalTo("Proxy disconnected"));
        await().atMost(Duration.ofSeconds(10)).until(() -> !accepts(proxy.get("ip").asText(), proxy.get("port").asInt()));

        // Connect to another city (any with a free modem: the local agent has two per city): new
        // credentials, and they work.
        JsonNode moved = null;
        String city = null;
        for (String candidate : new String[]{"LAX", "NYC", "MIA"}) {
            if (candidate.equals(proxy.get("location_id").asText())) {
                continue;
            }
            var answer = reseller(buyer.key()).contentType(ContentType.JSON).body(Map.of("location_id", candidate))
                    .post(base + "/connect");
            if (answer.statusCode() == 409) {
                continue; // that city is full
            }
            answer.then().statusCode(200).body("location_id", equalTo(candidate));
            moved = JSON.readTree(answer.asString());
            city = candidate;
            break;
        }
        assertNotNull(moved, "some other city had a free modem");
        assertTrue(!moved.get("password").asText().equals(proxy.get("password").asText()), "connect issues new credentials");
        // The agent runs commands in order: once this later one is answered, anything the move sent
        // (such as closing an old listener) has run too, and the moved proxy must still serve.
        reseller(buyer.key()).contentType(ContentType.JSON).body(Map.of("fingerprint", "macos")).post(base + "/fingerprint")
                .then().statusCode(200);
        String viaMoved = ProxyClient.absoluteFormGet(moved.get("ip").asText(), moved.get("port").asInt(),
                ProxyClient.basic(moved.get("username").asText(), moved.get("password").asText()), target, "/moved");
        assertTrue(viaMoved.contains("hello from the origin /moved"), viaMoved);
        reseller(buyer.key()).get(base).then().body("status", equalTo("active")).body("location_id", equalTo(city));
        reseller(buyer.key()).post(base + "/disconnect").then().statusCode(200); // frees the modem for later runs
    }

    private static boolean accepts(String host, int port) {
        try (java.net.Socket ignored = new java.net.Socket(host, port)) {
            return true;
        } catch (java.io.IOException refused) {
            return false;
        }
    }

    @Test
    void shouldChargeOnceWhenOneOrderIsPaidManyTimesAtOnce() throws Exception {
        StackApi.Reseller buyer = newReseller("30.00");
        long orderId = reseller(buyer.key()).contentType(ContentType.JSON)
                .body(Map.of("product_id", 1, "pricing_id", 1)).post("/v1/reseller/orders")
                .then().statusCode(201).extract().jsonPath().getLong("id");
        var pool = java.util.concurrent.Executors.newFixedThreadPool(8);
        try {
            var answers = new java.util.ArrayList<java.util.concurrent.Future<Integer>>();
            for (int i = 0; i < 8; i++) {
                answers.add(pool.submit(() -> reseller(buyer.key()).post("/v1/reseller/orders/" + orderId + "/pay").statusCode()));
            }
            int paid = 0;
            for (var answer : answers) {
                int status = answer.get();
                assertTrue(status == 200 || status == 409, "pay answered " + status);
                paid += status == 200 ? 1 : 0;
            }
            assertEquals(1, paid, "exactly one pay succeeds");
        } finally {
            pool.shutdownNow();
        }
        reseller(buyer.key()).get("/v1/reseller/balance").then().body("balance", equalTo("20.00"));
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(250)).untilAsserted(() ->
                reseller(buyer.key()).get("/v1/reseller/orders/" + orderId).then().body("status", equalTo("active")));
        long proxyId = reseller(buyer.key()).get("/v1/reseller/proxies").then().extract().jsonPath().getLong("proxies[0].id");
        reseller(buyer.key()).get("/v1/reseller/proxies").then().body("proxies.size()", equalTo(1));
        reseller(buyer.key()).post("/v1/reseller/proxies/" + proxyId + "/disconnect").then().statusCode(200);
    }

    @Test
    void shouldKeepResellersApartAndAnswerErrorsWithADetail() {
        StackApi.Reseller owner = newReseller("30.00");
        StackApi.Reseller stranger = newReseller("30.00");
        long orderId = reseller(owner.key()).contentType(ContentType.JSON)
                .body(Map.of("product_id", 1, "pricing_id", 1)).post("/v1/reseller/orders")
                .then().statusCode(201).extract().jsonPath().getLong("id");
        reseller(stranger.key()).get("/v1/reseller/orders/" + orderId).then().statusCode(404).body("detail", notNullValue());
        reseller(stranger.key()).post("/v1/reseller/orders/" + orderId + "/pay").then().statusCode(404);
        reseller(owner.key()).get("/v1/reseller/orders/" + orderId).then().statusCode(200);
        given().get("/v1/reseller/balance").then().statusCode(401).body("detail", notNullValue());
        reseller("rv_made_up").get("/v1/reseller/balance").then().statusCode(401);
        reseller(owner.key()).contentType(ContentType.JSON).body("{\"product_id\":").post("/v1/reseller/orders")
                .then().statusCode(400).body("detail", containsString("JSON"));
        reseller(owner.key()).contentType(ContentType.JSON).body(Map.of("product_id", 1, "pricing_id", 42))
                .post("/v1/reseller/orders").then().statusCode(404).body("detail", notNullValue());
        reseller(owner.key()).contentType(ContentType.JSON).body(Map.of("url", "http://example.com/hook", "events", "*"))
                .post("/v1/reseller/webhooks").then().statusCode(422).body("detail", notNullValue());
    }

    private java.util.List<String> eventsFor(long orderId) {
        return receiver.deliveries.stream().map(d -> readTree(d.body()))
                .filter(e -> e.get("data").path("order_id").asLong() == orderId)
                .map(e -> e.get("type").asText()).toList();
    }

    private static JsonNode readTree(byte[] body) {
        try {
            return JSON.readTree(body);
        } catch (java.io.IOException e) {
            throw new AssertionError("webhook body is not JSON", e);
        }
    }

    /** The seed's Python snippet, in Java: hex HMAC-SHA256 of the raw body, compared in constant time. */
    private static boolean verifySignature(byte[] body, String signature, String secret) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        String expected = HexFormat.of().formatHex(mac.doFinal(body));
        return signature != null && MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8), signature.getBytes(StandardCharsets.UTF_8));
    }
}
