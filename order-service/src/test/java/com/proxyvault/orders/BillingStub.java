package com.proxyvault.orders;

import com.sun.net.httpserver.HttpServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Stands in for billing-service's charge endpoint in order-service's own tests (the real billing is
 * exercised by its own tests and by system-tests). Answers 201 with a balance, or 402 when told to.
 */
public class BillingStub implements QuarkusTestResourceLifecycleManager {

    public static volatile boolean insufficient;
    /** How long the stub sits on a charge before answering (0: at once). */
    public static volatile long delayMillis;
    public static final List<String> chargeRequests = new CopyOnWriteArrayList<>();

    private HttpServer server;

    @Override
    public Map<String, String> start() {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        server.createContext("/internal/charges", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            chargeRequests.add(exchange.getRequestHeaders().getFirst("Authorization") + " " + body);
            if (delayMillis > 0) {
                try {
                    Thread.sleep(delayMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            int status = insufficient ? 402 : 201;
            byte[] answer = (insufficient
                    ? "{\"detail\":\"Insufficient balance\"}"
                    : "{\"reference\":\"x\",\"amount\":\"20.00\",\"balance\":\"80.00\",\"currency\":\"USD\"}")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, answer.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(answer);
            }
        });
        server.start();
        return Map.of("quarkus.rest-client.billing.url", "http://127.0.0.1:" + server.getAddress().getPort());
    }

    @Override
    public void stop() {
        if (server != null) {
            server.stop(0);
        }
    }
}
