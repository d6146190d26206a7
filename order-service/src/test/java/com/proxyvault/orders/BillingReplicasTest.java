package com.proxyvault.orders;

import com.proxyvault.platform.auth.InternalTokens;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Two billing instances behind {@code stork://billing} (the local stack's {@code --replicas 2};
 * docs/operations.md "Two of everything"), one of them killed: nothing listens on its port. Every pay still
 * charges exactly once, because a refused connection is sent again and the balancer then avoids that
 * instance.
 */
@QuarkusTest
@TestProfile(BillingReplicasTest.OneBillingInstanceDown.class)
class BillingReplicasTest {

    /** The stub as the live instance, and a port nothing listens on as the killed one, listed first. */
    public static class OneBillingInstanceDown implements QuarkusTestProfile {
        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(StorkBilling.class));
        }
    }

    public static class StorkBilling implements QuarkusTestResourceLifecycleManager {
        private final BillingStub stub = new BillingStub();

        @Override
        public Map<String, String> start() {
            String live = stub.start().get("quarkus.rest-client.billing.url").replace("http://", "");
            Map<String, String> config = new HashMap<>();
            config.put("quarkus.rest-client.billing.url", "stork://billing");
            config.put("quarkus.stork.billing.service-discovery.address-list", "127.0.0.1:" + deadPort() + "," + live);
            return config;
        }

        @Override
        public void stop() {
            stub.stop();
        }

        private static int deadPort() {
            try (ServerSocket socket = new ServerSocket(0)) {
                return socket.getLocalPort(); // closed again at once: connections to it are refused
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    @Test
    void shouldChargeEveryPayOnceWhileOneBillingInstanceIsDown() {
        long reseller = System.nanoTime() % 1_000_000 + 7_000_000;
        String auth = "Bearer " + InternalTokens.orders().reseller(reseller);
        int before = BillingStub.chargeRequests.size();
        for (int i = 0; i < 6; i++) {
            long orderId = given().header("Authorization", auth).contentType(ContentType.JSON)
                    .body(Map.of("product_id", 1, "pricing_id", 1)).post("/v1/reseller/orders")
                    .then().statusCode(201).extract().jsonPath().getLong("id");
            given().header("Authorization", auth).post("/v1/reseller/orders/" + orderId + "/pay")
                    .then().statusCode(200).body("status", equalTo("paid"));
            org.junit.jupiter.api.Assertions.assertTrue(BillingStub.posted.containsKey("order:" + orderId));
        }
        assertEquals(6, BillingStub.chargeRequests.size() - before, "one charge request per pay reached billing");
    }
}
