package com.proxyvault.systemtests;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/** Servers the test runs on 127.0.0.1: an origin to reach through the proxy, and a webhook receiver. */
final class LocalServers {

    private LocalServers() {
    }

    /**
     * The origin's port is fixed because the device agent reaches loopback origins only when they are
     * listed with their port: bin/stack starts it with AGENT_ALLOWED_PRIVATE_TARGETS=127.0.0.1:<this>.
     * Both read PV_ORIGIN_PORT (default 18080).
     */
    static int originPort() {
        String configured = System.getenv("PV_ORIGIN_PORT");
        return configured == null || configured.isBlank() ? 18080 : Integer.parseInt(configured.strip());
    }

    static HttpServer origin(String greeting) throws IOException {
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", originPort()), 0);
        } catch (BindException e) {
            throw new IOException("the test origin's port 127.0.0.1:" + originPort() + " is taken; run the stack and the"
                    + " system tests with another PV_ORIGIN_PORT", e);
        }
        server.createContext("/", exchange -> {
            byte[] body = (greeting + " " + exchange.getRequestURI().getPath()).getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "text/plain");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        return server;
    }

    record Delivery(Map<String, List<String>> headers, byte[] body) {
        String header(String name) {
            return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                    .findFirst().map(e -> e.getValue().get(0)).orElse(null);
        }

        String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    static final class WebhookReceiver implements AutoCloseable {
        final List<Delivery> deliveries = new CopyOnWriteArrayList<>();
        private final HttpServer server;

        WebhookReceiver() throws IOException {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext("/webhook", exchange -> {
                deliveries.add(new Delivery(Map.copyOf(exchange.getRequestHeaders()), exchange.getRequestBody().readAllBytes()));
                exchange.sendResponseHeaders(204, -1);
                exchange.close();
            });
            server.start();
        }

        String url() {
            return "http://127.0.0.1:" + server.getAddress().getPort() + "/webhook";
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }
}
