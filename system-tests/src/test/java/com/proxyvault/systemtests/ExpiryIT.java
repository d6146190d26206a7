package com.proxyvault.systemtests;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.Socket;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import static com.proxyvault.systemtests.StackApi.newReseller;
import static com.proxyvault.systemtests.StackApi.read;
import static com.proxyvault.systemtests.StackApi.reseller;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Expiry releases the port (issue 8, item 9; DESIGN.md purchase flow step 5): when a proxy's period is over
 * the fleet's expiry job expires it, the agent closes its listener, {@code proxy.expired} reaches the
 * reseller and the order is {@code expired}; the old credentials get nowhere any more.
 *
 * <p>The shortest period sold is an hour, so the test moves this one proxy's {@code expires_at} into the
 * past in the fleet's database — the only step outside the public API; everything after it (the expiry job,
 * the agent, Kafka, order-service, webhook-service) is the running stack doing its work.
 */
class ExpiryIT {

    private static final String GREETING = "hello before the expiry";

    private static HttpServer origin;
    private static LocalServers.WebhookReceiver receiver;

    @BeforeAll
    static void start() throws IOException {
        StackApi.useGateway();
        origin = LocalServers.origin(GREETING);
        receiver = new LocalServers.WebhookReceiver();
    }

    @AfterAll
    static void stop() {
        if (origin != null) {
            origin.stop(0);
        }
        if (receiver != null) {
            receiver.close();
        }
    }

    @Test
    void shouldCloseTheProxysPortAndAnnounceItWhenItsPeriodIsOver() throws Exception {
        StackApi.Reseller buyer = newReseller("10.00");
        reseller(buyer.key()).contentType(ContentType.JSON).body(Map.of("url", receiver.url(), "events", "*"))
                .post("/v1/reseller/webhooks").then().statusCode(201);
        JsonNode proxy = StackApi.buyActiveProxy(buyer);
        long proxyId = proxy.get("id").asLong();
        String ip = proxy.get("ip").asText();
        int port = proxy.get("port").asInt();
        String credentials = ProxyClient.basic(proxy.get("username").asText(), proxy.get("password").asText());
        String target = "127.0.0.1:" + origin.getAddress().getPort();
        String served = ProxyClient.absoluteFormGet(ip, port, credentials, target, "/before");
        assertTrue(served.endsWith(GREETING + " /before"), served);

        endPeriodNow(proxyId);

        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() ->
                reseller(buyer.key()).get("/v1/reseller/proxies/" + proxyId).then().statusCode(200)
                        .body("status", equalTo("expired")));
        // The port closes at once when the expiring replica holds the agent's stream, else with the agent's
        // next heartbeat (10 s). Then the old credentials reach nothing: refused, or a 407 from a listener
        // that is not this proxy's any more.
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).until(() ->
                !servesOrigin(ip, port, credentials, target));
        JsonNode expired = await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250)).until(() ->
                receiver.deliveries.stream().map(delivery -> read(delivery.bodyText()))
                        .filter(event -> "proxy.expired".equals(event.path("type").asText())
                                && event.path("data").path("proxy_id").asLong() == proxyId)
                        .findFirst(), Optional::isPresent).orElseThrow();
        assertEquals(proxy.get("order_id").asLong(), expired.get("data").get("order_id").asLong(), expired.toString());
        long orderId = proxy.get("order_id").asLong();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() ->
                reseller(buyer.key()).get("/v1/reseller/orders/" + orderId).then().statusCode(200)
                        .body("status", equalTo("expired")));
        // An expired proxy is no longer among the reseller's proxies.
        reseller(buyer.key()).get("/v1/reseller/proxies").then().statusCode(200)
                .body("proxies.findAll { it.id == " + proxyId + " }.size()", equalTo(0));
    }

    /**
     * True while the listener answers these credentials with the origin's page; false when the port refuses
     * the connection or answers anything else (a 407, a closed connection).
     */
    private static boolean servesOrigin(String ip, int port, String credentials, String target) {
        if (!accepts(ip, port)) {
            return false;
        }
        try {
            return ProxyClient.absoluteFormGet(ip, port, credentials, target, "/after").contains(GREETING);
        } catch (IOException closed) {
            return false;
        }
    }

    private static boolean accepts(String host, int port) {
        try (Socket ignored = new Socket(host, port)) {
            return true;
        } catch (IOException refused) {
            return false;
        }
    }

    /**
     * Moves the proxy's {@code expires_at} to a second ago in the fleet's database (the stack's PostgreSQL,
     * {@code PV_PG_PORT}), as if its hour had passed; times there are UTC without a zone.
     */
    private static void endPeriodNow(long proxyId) throws Exception {
        String port = Optional.ofNullable(System.getenv("PV_PG_PORT")).filter(p -> !p.isBlank()).orElse("5432");
        try (Connection fleet = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/fleet", "proxyvault", "proxyvault");
             PreparedStatement update = fleet.prepareStatement("""
                     update proxies set expires_at = (now() at time zone 'utc') - interval '1 second'
                     where id = ? and status = 'active'""")) {
            update.setLong(1, proxyId);
            assertEquals(1, update.executeUpdate(), "proxy " + proxyId + " is active in the fleet's database");
        }
    }
}
