package com.proxyvault.webhooks.delivery;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/** A webhook receiver on 127.0.0.1 that records every request and answers with scripted statuses. */
final class TestReceiver implements AutoCloseable {

    record Received(String method, String path, Map<String, List<String>> headers, byte[] body) {

        String header(String name) {
            // com.sun.net.httpserver normalizes header names to "X-proxyvault-event" style; compare loosely.
            return headers.entrySet().stream()
                    .filter(entry -> entry.getKey().equalsIgnoreCase(name))
                    .map(entry -> entry.getValue().get(0))
                    .findFirst().orElse(null);
        }

        String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private final HttpServer server;
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final Deque<Integer> scriptedStatuses = new ArrayDeque<>();
    private final int defaultStatus;

    private TestReceiver(int defaultStatus, List<Integer> firstStatuses) throws IOException {
        this.defaultStatus = defaultStatus;
        this.scriptedStatuses.addAll(firstStatuses);
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readAllBytes();
            }
            received.add(new Received(exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
                    Map.copyOf(exchange.getRequestHeaders()), body));
            exchange.sendResponseHeaders(nextStatus(), -1);
            exchange.close();
        });
        server.start();
    }

    /** Answers 200 to everything. */
    static TestReceiver answering200() throws IOException {
        return new TestReceiver(200, List.of());
    }

    /** Answers {@code first} statuses in order, then {@code then} forever. */
    static TestReceiver answering(List<Integer> first, int then) throws IOException {
        return new TestReceiver(then, first);
    }

    String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    int port() {
        return server.getAddress().getPort();
    }

    List<Received> received() {
        return List.copyOf(received);
    }

    /** Requests whose body mentions {@code eventId} (each body is one envelope). */
    List<Received> receivedFor(Object eventId) {
        String id = "\"" + eventId + "\"";
        return received.stream().filter(request -> request.bodyText().contains(id)).toList();
    }

    private synchronized int nextStatus() {
        Integer scripted = scriptedStatuses.poll();
        return scripted != null ? scripted : defaultStatus;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
