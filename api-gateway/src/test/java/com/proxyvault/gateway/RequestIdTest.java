package com.proxyvault.gateway;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import com.proxyvault.gateway.edge.EdgeServer;
import io.restassured.RestAssured;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.matchesPattern;
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
}
