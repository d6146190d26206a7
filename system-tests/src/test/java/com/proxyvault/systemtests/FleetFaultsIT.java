package com.proxyvault.systemtests;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static com.proxyvault.systemtests.StackApi.newReseller;
import static com.proxyvault.systemtests.StackApi.read;
import static com.proxyvault.systemtests.StackApi.reseller;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What goes wrong with modems and their hosts, on the real stack (issue 8, items 5, 6 and 9; docs/fleet.md
 * "Verified rotation" and "Offline detection"):
 * <ul>
 *   <li>a modem whose reset reports success while its exit IP stays the same: the fleet checks the IP, tries
 *   again and escalates to a hard reset, and the reseller gets a different {@code exit_ip} and one
 *   {@code proxy.ip_rotated} naming both IPs. bin/test scripts the second agent's simulated modems for it
 *   ({@code PV_AGENT2_RESET_SCRIPT}: two silent failures before each reset that works);</li>
 *   <li>a device agent killed with {@code kill -9}: once it has been silent for the fleet's heartbeat timeout
 *   (30 s in the stack, 12 s under bin/test) its proxies are {@code offline} with a {@code proxy.offline} webhook; started again
 *   it says Hello, and they are {@code active} again with the same credentials and fingerprint, a
 *   {@code proxy.online} webhook and working traffic.</li>
 * </ul>
 * Both use the second agent (PV_FLEET_REPLICAS=2, as bin/test runs the stack), whose six modems no other
 * test is placed on unless it asks for that; on a one-replica stack the kill drill uses the only agent.
 */
class FleetFaultsIT {

    private static final String GREETING = "hello from the fleet's origin";

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
    void shouldCatchASilentlyFailedResetAndEscalateToAHardResetThatChangesTheExitIp() throws Exception {
        assumeTrue(FleetOps.twoReplicas(), "the stack runs one fleet replica: bin/test runs it with PV_FLEET_REPLICAS=2");
        String script = System.getenv("PV_AGENT2_RESET_SCRIPT");
        assumeTrue(script != null && script.startsWith("silent,silent,ok"),
                "agent-local-2's simulated resets are not scripted to fail silently: bin/test sets PV_AGENT2_RESET_SCRIPT");
        StackApi.Reseller buyer = buyerWithWebhook();
        JsonNode proxy = FleetOps.buyOn(FleetOps.AGENT_2, buyer, "NYC");
        long proxyId = proxy.get("id").asLong();
        String base = "/v1/reseller/proxies/" + proxyId;
        try {
            assertEquals(FleetOps.AGENT_2, FleetOps.agentServing(proxyId), "placed on the scripted agent");
            String before = proxy.get("exit_ip").asText();

            // The modem says "done" twice with its old IP: the fleet must not believe it (two fast attempts,
            // attempts-per-mode 2), then escalates to a hard reset, which changes the IP.
            JsonNode reset = read(reseller(buyer.key()).contentType(ContentType.JSON).body(Map.of("mode", "fast"))
                    .post(base + "/reset").then().statusCode(200).extract().asString());
            assertEquals("fast", reset.get("mode").asText(), "the mode asked for: " + reset);
            assertEquals(before, reset.get("old_ip").asText(), reset.toString());
            assertNotEquals(before, reset.get("new_ip").asText(), "a different exit IP in the end: " + reset);
            assertEquals(reset.get("new_ip").asText(), reset.get("exit_ip").asText(), reset.toString());
            assertEquals("hard", reset.get("applied_mode").asText(), "escalated fast -> hard: " + reset);
            assertEquals(3, reset.get("attempts").asInt(), "two silent fast resets, then the hard one: " + reset);

            String after = reset.get("new_ip").asText();
            reseller(buyer.key()).get(base).then().statusCode(200).body("exit_ip", equalTo(after));
            assertEquals(after, FleetOps.modemServing(proxyId).get("exit_ip").asText(), "the operator's view agrees");
            JsonNode rotated = awaitEvent("proxy.ip_rotated", proxyId);
            assertEquals(before, rotated.get("data").get("old_ip").asText(), rotated.toString());
            assertEquals(after, rotated.get("data").get("new_ip").asText(), rotated.toString());
            assertEquals("hard", rotated.get("data").get("mode").asText(), rotated.toString());
            assertEquals(3, rotated.get("data").get("attempts").asInt(), rotated.toString());

            assertServes(proxy, "/after-rotation");
        } finally {
            reseller(buyer.key()).post(base + "/disconnect"); // frees the modem for later tests and runs
        }
    }

    @Test
    void shouldMarkAKilledAgentsProxiesOfflineAndBringThemBackWithTheSameCredentials() throws Exception {
        StackApi.Reseller buyer = buyerWithWebhook();
        // With two replicas, agent-local-2 (six modems, nothing else placed there) is the one killed, so the
        // proxies of other tests on agent-local-1 never go offline.
        JsonNode proxy = FleetOps.twoReplicas() ? FleetOps.buyOn(FleetOps.AGENT_2, buyer, "LAX") : StackApi.buyActiveProxy(buyer);
        long proxyId = proxy.get("id").asLong();
        String base = "/v1/reseller/proxies/" + proxyId;
        String component = FleetOps.componentOf(FleetOps.agentServing(proxyId));
        assertServes(proxy, "/before-the-kill");
        reseller(buyer.key()).contentType(ContentType.JSON).body(Map.of("fingerprint", "windows"))
                .post(base + "/fingerprint").then().statusCode(200);

        boolean restarted = false;
        FleetOps.kill9(component);
        try {
            // Offline once the agent has been silent for the heartbeat timeout (bin/test: 12 s) plus a sweep.
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() ->
                    reseller(buyer.key()).get(base).then().statusCode(200).body("status", equalTo("offline")));
            JsonNode offline = awaitEvent("proxy.offline", proxyId);
            assertEquals(proxy.get("order_id").asLong(), offline.get("data").get("order_id").asLong(), offline.toString());
            // Still listed, credentials and all: the reseller's customer keeps them for when it is back.
            reseller(buyer.key()).get("/v1/reseller/proxies").then().statusCode(200)
                    .body("proxies.find { it.id == " + proxyId + " }.status", equalTo("offline"))
                    .body("proxies.find { it.id == " + proxyId + " }.password", equalTo(proxy.get("password").asText()));

            FleetOps.stack("up"); // starts what is missing: the killed agent, which says Hello again
            restarted = true;
        } finally {
            if (!restarted) {
                FleetOps.stack("up"); // never leave the stack without its agent for the tests after this one
            }
        }
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() ->
                reseller(buyer.key()).get(base).then().statusCode(200).body("status", equalTo("active")));
        JsonNode back = read(reseller(buyer.key()).get(base).then().statusCode(200).extract().asString());
        for (String field : List.of("ip", "port", "username", "password", "location_id")) {
            assertEquals(proxy.get(field), back.get(field), field + " is kept: " + back);
        }
        assertEquals("windows", back.get("fingerprint").asText(), "the fingerprint sticks: " + back);
        awaitEvent("proxy.online", proxyId);
        // The agent came back serving nothing; the fleet's reconciliation opens the port again.
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
                .untilAsserted(() -> assertServes(proxy, "/after-the-restart"));
        reseller(buyer.key()).post(base + "/disconnect").then().statusCode(200);
    }

    /** A reseller with 20.00 and a webhook for every event to this class's receiver. */
    private static StackApi.Reseller buyerWithWebhook() {
        StackApi.Reseller buyer = newReseller("20.00");
        reseller(buyer.key()).contentType(ContentType.JSON).body(Map.of("url", receiver.url(), "events", "*"))
                .post("/v1/reseller/webhooks").then().statusCode(201);
        return buyer;
    }

    /** The first delivered event of that type about the proxy (data.proxy_id), waiting for it up to 30 s. */
    private static JsonNode awaitEvent(String type, long proxyId) {
        return await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250)).until(() -> receiver.deliveries.stream()
                .map(delivery -> read(delivery.bodyText()))
                .filter(event -> type.equals(event.path("type").asText()) && event.path("data").path("proxy_id").asLong() == proxyId)
                .findFirst(), Optional::isPresent).orElseThrow();
    }

    /** An absolute-form GET through the proxy with its credentials reaches this class's origin. */
    private static void assertServes(JsonNode proxy, String path) throws IOException {
        String answer = ProxyClient.absoluteFormGet(proxy.get("ip").asText(), proxy.get("port").asInt(),
                ProxyClient.basic(proxy.get("username").asText(), proxy.get("password").asText()),
                "127.0.0.1:" + origin.getAddress().getPort(), path);
        assertTrue(answer.startsWith("HTTP/1.1 200") && answer.endsWith(GREETING + " " + path), answer);
    }
}
