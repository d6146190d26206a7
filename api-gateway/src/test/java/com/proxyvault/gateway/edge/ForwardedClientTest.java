package com.proxyvault.gateway.edge;

import com.proxyvault.gateway.UpstreamStub;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;

/**
 * Deploy review: behind an Ingress every request's TCP peer is the controller's pod, so the failed-authentication
 * throttle counted every client as one, and 20 bad keys a minute from anyone locked every reseller out. From a
 * trusted proxy (here: loopback, where the test runs) the client is the right-most untrusted {@code X-Forwarded-For}
 * address ({@link ClientAddresses}). Its own profile: a burst of 3 (the shared test profile's 100,000 refills faster
 * than a test can empty it).
 */
@QuarkusTest
@TestProfile(ForwardedClientTest.SmallBurst.class)
@WithTestResource(UpstreamStub.class)
class ForwardedClientTest {

    public static class SmallBurst implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("proxyvault.gateway.failed-auth.burst", "3");
        }
    }

    @Inject
    EdgeServer edge;

    @BeforeEach
    void usePublicPort() {
        RestAssured.port = edge.port();
    }

    @Test
    void shouldThrottleFailedAuthenticationsPerForwardedClientBehindATrustedProxy() {
        String guesser = "203.0.113.7";
        for (int i = 0; i < 3; i++) {
            given().header("X-Forwarded-For", guesser).header("Authorization", "Bearer rv_unknown")
                    .get("/v1/reseller/balance").then().statusCode(401);
        }
        given().header("X-Forwarded-For", guesser).header("Authorization", "Bearer rv_unknown")
                .get("/v1/reseller/balance").then().statusCode(429).body("code", equalTo("too_many_failed_authentications"));
        // an entry the client wrote on the left does not change who it is
        given().header("X-Forwarded-For", "198.51.100.1, " + guesser).get("/v1/reseller/balance").then().statusCode(429);
        // other clients behind the same proxy, and the proxy's own requests, are not held up
        given().header("X-Forwarded-For", guesser + ", 198.51.100.250").header("Authorization", "Bearer rv_unknown")
                .get("/v1/reseller/balance").then().statusCode(401);
        given().header("Authorization", "Bearer rv_unknown").get("/v1/reseller/balance").then().statusCode(401);
    }

    /** The sentence for an operator token on the reseller API is new; what the refusal costs the address is not. */
    @Test
    void shouldCountAnOperatorTokenOnTheResellerApiAsAFailedAuthentication() {
        String operator = "203.0.113.8";
        String jwt = "Bearer aGVhZGVy.cGF5bG9hZA.c2lnbmF0dXJl";
        for (int i = 0; i < 3; i++) {
            given().header("X-Forwarded-For", operator).header("Authorization", jwt)
                    .get("/v1/reseller/balance").then().statusCode(401).body("code", equalTo("unauthorized"));
        }
        given().header("X-Forwarded-For", operator).header("Authorization", jwt)
                .get("/v1/reseller/balance").then().statusCode(429).body("code", equalTo("too_many_failed_authentications"));
    }
}
