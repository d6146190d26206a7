package com.proxyvault.gateway.edge;

import com.proxyvault.gateway.GatewayTest;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.matchesPattern;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A backend that cannot be reached is 503 for the client, and the gateway's own log line about it names the
 * request's {@code X-Request-Id}: those lines run outside any span, so their {@code traceId=} is empty, and the id a
 * reseller quotes from a 503 must still find the line (docs/local-stack.md "Logs"). Its own profile: every backend
 * at a port nothing listens on, and no {@code UpstreamStub}.
 */
@QuarkusTest
@TestProfile(UnreachableBackendTest.BackendsDown.class)
class UnreachableBackendTest {

    /** Every upstream at one loopback port that was free a moment ago, so connecting to it is refused. */
    public static class BackendsDown implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            String nowhere = "http://127.0.0.1:" + freePort();
            return Map.of(
                    "proxyvault.routing.upstreams.billing", nowhere,
                    "proxyvault.routing.upstreams.orders", nowhere,
                    "proxyvault.routing.upstreams.fleet", nowhere,
                    "proxyvault.routing.upstreams.webhooks", nowhere);
        }

        private static int freePort() {
            try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                return socket.getLocalPort();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    @Inject
    EdgeServer edge;

    private final com.proxyvault.gateway.CapturedLog log = new com.proxyvault.gateway.CapturedLog(EdgeRequests.class);
    private final List<String> lines = log.lines();

    @BeforeEach
    void listen() {
        RestAssured.port = edge.port();
        log.start();
    }

    @AfterEach
    void stop() {
        log.stop();
    }

    @Test
    void shouldNameTheRequestIdTheClientSentInTheLogLineOfA503() throws Exception {
        String key = newResellerKey();
        String traceId = "0af7651916cd43dd8448eb211c80319c";
        given().header("Authorization", "Bearer " + key).header("traceparent", "00-" + traceId + "-b7ad6b7169203331-01")
                .get("/v1/reseller/balance")
                .then().statusCode(503).body("code", equalTo("service_unavailable")).header("X-Request-Id", traceId);
        // Logged before the 503 is written (EdgeRequests.forward), so the line is here once the answer is.
        assertTrue(lines.stream().anyMatch(line -> line.startsWith("Forwarding GET /v1/reseller/balance to billing failed")
                && line.contains("(X-Request-Id " + traceId + ")")), lines.toString());
    }

    @Test
    void shouldNameTheRequestIdTheGatewayAnsweredWhenTheClientSentNone() throws Exception {
        String key = newResellerKey();
        String answered = given().header("Authorization", "Bearer " + key).get("/v1/reseller/orders")
                .then().statusCode(503).header("X-Request-Id", matchesPattern("[0-9a-f]{32}"))
                .extract().header("X-Request-Id");
        assertTrue(lines.stream().anyMatch(line -> line.startsWith("Forwarding GET /v1/reseller/orders to orders failed")
                && line.contains("(X-Request-Id " + answered + ")")), lines.toString());
    }

    /** A reseller made through the operator API, which the gateway answers itself (no backend involved). */
    private static String newResellerKey() throws Exception {
        return given().header("Authorization", "Bearer " + GatewayTest.operatorToken()).contentType(ContentType.JSON)
                .body(Map.of("name", "unreachable-" + UUID.randomUUID())).post("/v1/admin/resellers")
                .then().statusCode(201).extract().jsonPath().getString("api_key.key");
    }
}
