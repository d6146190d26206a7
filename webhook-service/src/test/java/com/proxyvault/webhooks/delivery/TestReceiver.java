package com.proxyvault.webhooks.delivery;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A webhook receiver on 127.0.0.1 that records every request and answers with scripted statuses, optional
 * extra headers and body, or holds every request until released (a hanging endpoint). Public for the fan-out's
 * tests ({@code events}).
 */
public final class TestReceiver implements AutoCloseable {

    /** @param arrivedNanos {@link System#nanoTime()} when the request's body had been read, before any answer delay */
    public record Received(String method, String path, Map<String, List<String>> headers, byte[] body, long arrivedNanos) {

        public String header(String name) {
            // com.sun.net.httpserver normalizes header names to "X-proxyvault-event" style; compare loosely.
            return headers.entrySet().stream()
                    .filter(entry -> entry.getKey().equalsIgnoreCase(name))
                    .map(entry -> entry.getValue().get(0))
                    .findFirst().orElse(null);
        }

        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }

        /** The Standard Webhooks headers, lowercase, as a receiver's framework hands them over. */
        Map<String, String> standardHeaders() {
            Map<String, String> standard = new HashMap<>();
            for (String name : List.of("webhook-id", "webhook-timestamp", "webhook-signature")) {
                standard.put(name, header(name));
            }
            return standard;
        }
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final Deque<Integer> scriptedStatuses = new ArrayDeque<>();
    private final int defaultStatus;
    private final Map<String, String> extraHeaders;
    private final byte[] answerBody;
    private final CountDownLatch hold;
    private final Duration answerDelay;

    private TestReceiver(int defaultStatus, List<Integer> firstStatuses, Map<String, String> extraHeaders, String answerText,
                         CountDownLatch hold) throws IOException {
        this(defaultStatus, firstStatuses, extraHeaders, answerText, hold, Duration.ZERO);
    }

    private TestReceiver(int defaultStatus, List<Integer> firstStatuses, Map<String, String> extraHeaders, String answerText,
                         CountDownLatch hold, Duration answerDelay) throws IOException {
        this.defaultStatus = defaultStatus;
        this.scriptedStatuses.addAll(firstStatuses);
        this.extraHeaders = extraHeaders;
        this.answerBody = answerText == null ? null : answerText.getBytes(StandardCharsets.UTF_8);
        this.hold = hold;
        this.answerDelay = answerDelay;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(executor);
        server.createContext("/", exchange -> {
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readAllBytes();
            }
            received.add(new Received(exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
                    Map.copyOf(exchange.getRequestHeaders()), body, System.nanoTime()));
            try {
                if (hold != null) {
                    hold.await(5, TimeUnit.MINUTES);
                }
                if (!this.answerDelay.isZero()) {
                    Thread.sleep(this.answerDelay.toMillis());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            extraHeaders.forEach((name, value) -> exchange.getResponseHeaders().add(name, value));
            int status = nextStatus();
            if (this.answerBody == null) {
                exchange.sendResponseHeaders(status, -1);
            } else {
                exchange.sendResponseHeaders(status, this.answerBody.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(this.answerBody);
                }
            }
            exchange.close();
        });
        server.start();
    }

    /** Answers 200 to everything. */
    public static TestReceiver answering200() throws IOException {
        return new TestReceiver(200, List.of(), Map.of(), null, null);
    }

    /** Answers {@code first} statuses in order, then {@code then} forever. */
    public static TestReceiver answering(List<Integer> first, int then) throws IOException {
        return new TestReceiver(then, first, Map.of(), null, null);
    }

    /** Answers {@code first} statuses, then {@code then}, always with these headers and this body. */
    public static TestReceiver answering(List<Integer> first, int then, Map<String, String> headers, String body) throws IOException {
        return new TestReceiver(then, first, headers, body, null);
    }

    /** Like {@link #answering(List, int, Map, String)}, but each answer goes out {@code delay} after its request arrived. */
    public static TestReceiver answeringAfter(Duration delay, List<Integer> first, int then, Map<String, String> headers)
            throws IOException {
        return new TestReceiver(then, first, headers, null, null, delay);
    }

    /** Records every request and answers none until {@link #release()} (or close). */
    public static TestReceiver hanging() throws IOException {
        return new TestReceiver(200, List.of(), Map.of(), null, new CountDownLatch(1));
    }

    public void release() {
        if (hold != null) {
            hold.countDown();
        }
    }

    public String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public List<Received> received() {
        return List.copyOf(received);
    }

    /** Requests whose body mentions {@code eventId} (each body is one event). */
    public List<Received> receivedFor(Object eventId) {
        String id = "\"" + eventId + "\"";
        return received.stream().filter(request -> request.bodyText().contains(id)).toList();
    }

    private synchronized int nextStatus() {
        Integer scripted = scriptedStatuses.poll();
        return scripted != null ? scripted : defaultStatus;
    }

    @Override
    public void close() {
        release();
        server.stop(0);
        executor.shutdownNow();
    }
}
