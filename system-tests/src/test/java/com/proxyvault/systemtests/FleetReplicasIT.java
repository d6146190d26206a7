package com.proxyvault.systemtests;

import com.fasterxml.jackson.databind.JsonNode;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static com.proxyvault.systemtests.StackApi.newReseller;
import static com.proxyvault.systemtests.StackApi.reseller;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Two fleet replicas on the real stack (issue 8 item 7, issue 10 item 7; docs/fleet.md "Two replicas"):
 * {@code PV_FLEET_REPLICAS=2 bin/stack up} runs replica fleet-1 (:8083) with agent-local-1 and fleet-2
 * (:8085) with agent-local-2, and the gateway sends fleet calls to both in turn. Purchases provision on
 * either agent whichever replica consumed the order; every control call answers the same on either replica
 * (the one not holding the agent's stream forwards it, counted in each replica's
 * {@code proxyvault_fleet_commands_forwarded_total}); with the agent on no replica the answer is 503.
 */
class FleetReplicasIT {

    private static final String FLEET_1 = "http://127.0.0.1:8083";
    private static final String FLEET_2 = FleetOps.FLEET_2;
    private static final String AGENT_1 = FleetOps.AGENT_1;
    private static final String AGENT_2 = FleetOps.AGENT_2;
    // HTTP/1.1 as our services speak it: the JDK client's default h2c upgrade once read a /q/metrics body as
    // HTTP/2 frames ("Frame type(95) length(7562596) exceeds MAX_FRAME_SIZE", CI 2026-12-01).
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    @BeforeAll
    static void twoReplicas() {
        StackApi.useGateway();
        assumeTrue(FleetOps.twoReplicas(),
                "the stack runs one fleet replica: start it with PV_FLEET_REPLICAS=2 bin/stack up");
    }

    @Test
    void shouldProvisionOnBothReplicasAgentsAndControlEachProxyWhicheverReplicaTheCallLandsOn() throws Exception {
        // Steer placement: agent-local-1 takes no new proxy in MIA, agent-local-2 none in LAX.
        List<String> drained = FleetOps.drain(AGENT_1, "MIA");
        drained.addAll(FleetOps.drain(AGENT_2, "LAX"));
        try {
            StackApi.Reseller first = newReseller("20.00");
            StackApi.Reseller second = newReseller("20.00");
            JsonNode onAgent1 = FleetOps.buyIn(first, "LAX");
            JsonNode onAgent2 = FleetOps.buyIn(second, "MIA");
            assertEquals(AGENT_1, FleetOps.agentServing(onAgent1.get("id").asLong()));
            assertEquals(AGENT_2, FleetOps.agentServing(onAgent2.get("id").asLong()));

            double forwardedBy1 = forwarded(FLEET_1);
            double forwardedBy2 = forwarded(FLEET_2);
            // The gateway takes the replicas in turn, so two calls in a row land on both.
            control(first, onAgent1, "LAX");
            control(second, onAgent2, "MIA");
            assertTrue(forwarded(FLEET_1) > forwardedBy1, "fleet-1 forwarded commands for agent-local-2's proxy");
            assertTrue(forwarded(FLEET_2) > forwardedBy2, "fleet-2 forwarded commands for agent-local-1's proxy");

            reseller(first.key()).post("/v1/reseller/proxies/" + onAgent1.get("id").asLong() + "/disconnect").then().statusCode(200);
            reseller(second.key()).post("/v1/reseller/proxies/" + onAgent2.get("id").asLong() + "/disconnect").then().statusCode(200);
        } finally {
            FleetOps.undrain(drained);
        }
    }

    @Test
    void shouldAnswer503WhenNoReplicaHoldsTheProxysAgent() throws Exception {
        List<String> drained = FleetOps.drain(AGENT_1, "MIA");
        StackApi.Reseller buyer = newReseller("20.00");
        JsonNode proxy;
        try {
            proxy = FleetOps.buyIn(buyer, "MIA");
        } finally {
            FleetOps.undrain(drained);
        }
        String base = "/v1/reseller/proxies/" + proxy.get("id").asLong();
        assertEquals(AGENT_2, FleetOps.agentServing(proxy.get("id").asLong()));

        FleetOps.stack("down", "device-agent-2");
        try {
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                    assertEquals(false, FleetOps.agent(AGENT_2).get("connected").asBoolean()));
            for (int i = 0; i < 2; i++) { // on either replica
                var answer = reseller(buyer.key()).contentType(ContentType.JSON).body(Map.of("fingerprint", "linux"))
                        .post(base + "/fingerprint");
                assertEquals(503, answer.statusCode(), answer.asString());
                assertEquals("service_unavailable",
                        StackApi.assertErrorBody("fingerprint with the agent gone", answer.contentType(), answer.asString()));
            }
        } finally {
            FleetOps.stack("up"); // starts device-agent-2 again (the stack remembers its two replicas)
        }
        // Back: its replica holds it again and the calls work from either replica.
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() ->
                reseller(buyer.key()).contentType(ContentType.JSON).body(Map.of("fingerprint", "windows"))
                        .post(base + "/fingerprint").then().statusCode(200));
        reseller(buyer.key()).contentType(ContentType.JSON).body(Map.of("fingerprint", "macos"))
                .post(base + "/fingerprint").then().statusCode(200);
        reseller(buyer.key()).post(base + "/disconnect").then().statusCode(200);
    }

    /**
     * Issue 8 item 5's 202 (docs/fleet.md "Long resets: 202"): the reset answer waits 8 s
     * ({@code PV_FLEET_RESET_SYNC_WAIT}) and a hard reset on agent-local-1 takes 10 s (bin/test's
     * {@code PV_AGENT1_HARD_RESET_DELAY}). Until both replicas answered one
     * (fleet-2 forwards to fleet-1, which holds agent-local-1's stream): 202 with the old IP, a second reset
     * meanwhile 409, and the rotation finishes in the background (GET shows the new exit IP).
     */
    @Test
    void shouldAnswer202ForAHardResetLongerThanTheSyncWaitWhicheverReplicaTheCallLandsOn() throws Exception {
        List<String> drained = FleetOps.drain(AGENT_2, "NYC");
        StackApi.Reseller buyer = newReseller("20.00");
        JsonNode proxy;
        try {
            proxy = FleetOps.buyIn(buyer, "NYC");
        } finally {
            FleetOps.undrain(drained);
        }
        long proxyId = proxy.get("id").asLong();
        String base = "/v1/reseller/proxies/" + proxyId;
        assertEquals(AGENT_1, FleetOps.agentServing(proxyId));
        boolean onHolder = false;
        boolean forwarded = false;
        for (int i = 0; i < 4 && !(onHolder && forwarded); i++) {
            String before = StackApi.read(reseller(buyer.key()).get(base).then().statusCode(200).extract().asString()).get("exit_ip").asText();
            steerNextFleetCall(buyer, base, !forwarded);
            double forwardedBefore = forwarded(FLEET_2);
            var answer = reseller(buyer.key()).contentType(ContentType.JSON).body(Map.of("mode", "hard")).post(base + "/reset");
            assertEquals(202, answer.statusCode(), "a hard reset on agent-local-1 (10 s with bin/test's"
                    + " PV_AGENT1_HARD_RESET_DELAY) answers 202 after the 8 s sync wait: " + answer.asString());
            JsonNode accepted = StackApi.read(answer.asString());
            assertEquals(proxyId, accepted.get("proxy_id").asLong());
            assertEquals("rotating", accepted.get("status").asText());
            assertEquals("hard", accepted.get("mode").asText());
            assertEquals(before, accepted.get("old_ip").asText());
            if (forwarded(FLEET_2) > forwardedBefore) {
                forwarded = true; // fleet-2 took it and runs it through fleet-1
            } else {
                onHolder = true;
            }
            var second = reseller(buyer.key()).contentType(ContentType.JSON).body(Map.of("mode", "fast")).post(base + "/reset");
            assertEquals(409, second.statusCode(), second.asString());
            assertEquals("rotation_in_progress", StackApi.assertErrorBody("a reset during a reset", second.contentType(), second.asString()));
            // every 2 s: the key's 60 requests a minute must last all four rounds
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() -> {
                JsonNode now = StackApi.read(reseller(buyer.key()).get(base).then().statusCode(200).extract().asString());
                assertEquals("rotated", now.get("rotation").get("status").asText(), now.toString());
                assertEquals(before, now.get("rotation").get("old_ip").asText());
                assertEquals(now.get("rotation").get("new_ip").asText(), now.get("exit_ip").asText());
                assertTrue(!before.equals(now.get("exit_ip").asText()), "the exit IP changed: " + now);
            });
        }
        assertTrue(onHolder && forwarded, "a 202 from the replica holding the agent (" + onHolder + ") and from the"
                + " one forwarding to it (" + forwarded + ")");
        reseller(buyer.key()).post(base + "/disconnect").then().statusCode(200);
    }

    /**
     * Makes the gateway's next fleet call land on fleet-2 ({@code toFleet2}) or fleet-1: the gateway takes the
     * replicas in turn, so a fingerprint call (forwarded, and counted, only when it lands on fleet-2, which does
     * not hold agent-local-1) shows where the turn stands, and one GET more turns it when needed.
     */
    private static void steerNextFleetCall(StackApi.Reseller buyer, String base, boolean toFleet2) throws Exception {
        double before = forwarded(FLEET_2);
        reseller(buyer.key()).contentType(ContentType.JSON).body(Map.of("fingerprint", "none"))
                .post(base + "/fingerprint").then().statusCode(200);
        boolean landedOnFleet2 = forwarded(FLEET_2) > before;
        if (landedOnFleet2 == toFleet2) {
            reseller(buyer.key()).get(base).then().statusCode(200);
        }
    }

    /** Every control call twice in a row (so on both replicas), each answered as if the agent were local. */
    private static void control(StackApi.Reseller owner, JsonNode proxy, String city) {
        String base = "/v1/reseller/proxies/" + proxy.get("id").asLong();
        for (int i = 0; i < 2; i++) {
            reseller(owner.key()).contentType(ContentType.JSON).body(Map.of("mode", "fast")).post(base + "/reset")
                    .then().statusCode(200).body("proxy_id", equalTo(proxy.get("id").asInt()));
        }
        for (String fingerprint : new String[]{"linux", "windows"}) {
            reseller(owner.key()).contentType(ContentType.JSON).body(Map.of("fingerprint", fingerprint))
                    .post(base + "/fingerprint").then().statusCode(200).body("fingerprint", equalTo(fingerprint));
        }
        reseller(owner.key()).post(base + "/disconnect").then().statusCode(200);
        // Its own modem is free again (only its agent serves this city): connect brings it back with new credentials.
        reseller(owner.key()).contentType(ContentType.JSON).body(Map.of("location_id", city)).post(base + "/connect")
                .then().statusCode(200).body("location_id", equalTo(city));
        for (int i = 0; i < 2; i++) {
            reseller(owner.key()).contentType(ContentType.JSON).body(Map.of("fingerprint", "none"))
                    .post(base + "/fingerprint").then().statusCode(200);
        }
    }

    /** The replica's count of commands it forwarded to the other one (Prometheus, on its own port). */
    private static double forwarded(String replica) throws Exception {
        String metrics = HTTP.send(HttpRequest.newBuilder(URI.create(replica + "/q/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        return metrics.lines().filter(line -> line.startsWith("proxyvault_fleet_commands_forwarded_total"))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1))).sum();
    }
}
