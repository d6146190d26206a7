package com.proxyvault.systemtests;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.HexFormat;
import java.util.Optional;

import static com.proxyvault.systemtests.StackApi.awaitActive;
import static com.proxyvault.systemtests.StackApi.createOrder;
import static com.proxyvault.systemtests.StackApi.newReseller;
import static com.proxyvault.systemtests.StackApi.reseller;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One trace id from the reseller's request to the proxy it causes (docs/decisions.md, "Tracing"): the
 * gateway adopts the caller's {@code traceparent}, order-service's pay runs under it and writes
 * {@code order.paid} to its outbox with it, the relay publishes it in the Kafka record's headers, and the
 * fleet keeps it on the proxy row it places. Guards the tracing switches (no gateway spans, no SQL
 * spans) against breaking the chain.
 */
class TracingIT {

    private static final SecureRandom RANDOM = new SecureRandom();

    @BeforeAll
    static void gateway() {
        StackApi.useGateway();
    }

    @Test
    void shouldCarryThePayRequestsTraceIdThroughKafkaToTheProxyItPlaces() throws Exception {
        StackApi.Reseller buyer = newReseller("10.00");
        long orderId = createOrder(buyer, 1);
        String traceId = hex(16);
        String requestId = reseller(buyer.key()).header("traceparent", "00-" + traceId + "-" + hex(8) + "-00")
                .post("/v1/reseller/orders/" + orderId + "/pay")
                .then().statusCode(200).extract().header("X-Request-Id");
        assertEquals(traceId, requestId, "the gateway adopts the caller's trace id and names the request by it");
        awaitActive(buyer, orderId);

        String stored = proxyTraceparent(orderId);
        assertNotNull(stored, "the fleet keeps the purchase's traceparent on the proxy of order " + orderId);
        assertTrue(stored.startsWith("00-" + traceId + "-"),
                "the proxy's traceparent " + stored + " carries the pay request's trace id " + traceId);
    }

    /** The traceparent on the proxy row of {@code orderId} in the fleet's database (the stack's PostgreSQL). */
    private static String proxyTraceparent(long orderId) throws Exception {
        String port = Optional.ofNullable(System.getenv("PV_PG_PORT")).filter(p -> !p.isBlank()).orElse("5432");
        try (Connection fleet = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/fleet", "proxyvault", "proxyvault");
             PreparedStatement select = fleet.prepareStatement("select traceparent from proxies where order_id = ?")) {
            select.setLong(1, orderId);
            try (ResultSet row = select.executeQuery()) {
                assertTrue(row.next(), "order " + orderId + " has a proxy in the fleet's database");
                return row.getString(1);
            }
        }
    }

    private static String hex(int bytes) {
        byte[] random = new byte[bytes];
        RANDOM.nextBytes(random);
        return HexFormat.of().formatHex(random);
    }
}
