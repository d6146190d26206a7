package com.proxyvault.gateway;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import com.proxyvault.gateway.edge.EdgeServer;
import io.restassured.RestAssured;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/** Same test resources as GatewayTest, so both run against one application start. */
@QuarkusTest
@WithTestResource(UpstreamStub.class)
class RequestIdTest {

    @Inject
    EdgeServer edge;

    /** Everything goes through the public port, as a reseller's requests do. */
    @BeforeEach
    void usePublicPort() {
        RestAssured.port = edge.port();
    }

    private static final String TRACE_ID = "[0-9a-f]{32}";

    @Test
    void shouldAnswerEveryRequestWithItsTraceIdAsXRequestId() {
        String refused = given().get("/v1/reseller/balance")
                .then().statusCode(401).header("X-Request-Id", matchesPattern(TRACE_ID))
                .extract().header("X-Request-Id");
        String unknown = given().get("/no/such/page")
                .then().statusCode(404).header("X-Request-Id", matchesPattern(TRACE_ID))
                .extract().header("X-Request-Id");
        assertNotEquals("0".repeat(32), refused);
        assertNotEquals(refused, unknown, "each request is its own trace");
    }

    @Test
    void shouldAdoptTheCallersTraceAndCarryItToTheServices() throws Exception {
        String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        given().header("traceparent", "00-" + traceId + "-00f067aa0ba902b7-01")
                .header("Authorization", "Bearer " + GatewayTest.operatorToken())
                .get("/v1/admin/services/orders/dead-letters")
                .then().statusCode(200).header("X-Request-Id", traceId);
        String forwarded = UpstreamStub.lastTraceparent.get();
        assertTrue(forwarded != null && forwarded.startsWith("00-" + traceId + "-"), String.valueOf(forwarded));
        assertNotEquals("00-" + traceId + "-00f067aa0ba902b7-01", forwarded, "the gateway's own span id is passed on");
        // A malformed traceparent starts a new trace instead.
        given().header("traceparent", "00-" + "0".repeat(32) + "-00f067aa0ba902b7-01").get("/v1/reseller/balance")
                .then().header("X-Request-Id", matchesPattern(TRACE_ID)).header("X-Request-Id", not(equalTo("0".repeat(32))));
    }
}
