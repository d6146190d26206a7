package com.proxyvault.gateway;

import com.sun.net.httpserver.HttpServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Plays every upstream service for the gateway's own tests: it records what the gateway forwarded and
 * answers with a recognisable body, so forwarding can be checked byte for byte.
 */
public class UpstreamStub implements QuarkusTestResourceLifecycleManager {

    public record Received(String method, String pathAndQuery, String authorization, String contentType, String body) {
    }

    public static final AtomicReference<Received> last = new AtomicReference<>();
    /** The {@code traceparent} of the last forwarded request. */
    public static final AtomicReference<String> lastTraceparent = new AtomicReference<>();
    /** The {@code Idempotency-Key} of the last forwarded request (null: none was forwarded). */
    public static final AtomicReference<String> lastIdempotencyKey = new AtomicReference<>();

    private HttpServer server;

    @Override
    public Map<String, String> start() {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        server.createContext("/", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            lastTraceparent.set(exchange.getRequestHeaders().getFirst("traceparent"));
            lastIdempotencyKey.set(exchange.getRequestHeaders().getFirst("Idempotency-Key"));
            last.set(new Received(exchange.getRequestMethod(), exchange.getRequestURI().toString(),
                    exchange.getRequestHeaders().getFirst("Authorization"),
                    exchange.getRequestHeaders().getFirst("Content-Type"), body));
            String path = exchange.getRequestURI().getPath();
            int status;
            String answer;
            if (path.endsWith("/topups")) {
                status = 201;
                answer = "{\"balance\":\"100.00\",\"currency\":\"USD\"}";
            } else if (path.contains("/orders/bare414")) {
                // What a service's own HTTP server answers to a request line over its limit: no body.
                exchange.sendResponseHeaders(414, -1);
                exchange.close();
                return;
            } else if (path.contains("/orders/busy")) {
                // A service that cannot answer now (e.g. billing down during a pay): the gateway keeps no answer.
                status = 503;
                answer = "{\"detail\":\"Billing is unavailable, try again\",\"code\":\"service_unavailable\"}";
            } else if (path.contains("/orders/404")) {
                status = 404;
                answer = "{\"detail\":\"Order not found\"}";
            } else {
                status = "POST".equals(exchange.getRequestMethod()) ? 201 : 200;
                answer = "{\"upstream\":\"stub\",\"path\":\"" + path + "\"}";
            }
            byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            if ("HEAD".equals(exchange.getRequestMethod())) {
                // as a service answers HEAD: the GET's length, no body (the JDK server sets none for HEAD itself)
                exchange.getResponseHeaders().set("Content-Length", Integer.toString(bytes.length));
                exchange.sendResponseHeaders(status, -1);
                exchange.close();
                return;
            }
            exchange.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        });
        server.start();
        String url = "http://127.0.0.1:" + server.getAddress().getPort();
        return Map.of(
                "proxyvault.routing.upstreams.billing", url,
                "proxyvault.routing.upstreams.orders", url,
                "proxyvault.routing.upstreams.fleet", url,
                "proxyvault.routing.upstreams.webhooks", url);
    }

    @Override
    public void stop() {
        if (server != null) {
            server.stop(0);
        }
    }
}
