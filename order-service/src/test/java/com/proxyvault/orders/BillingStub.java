package com.proxyvault.orders;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Stands in for billing-service's internal API in order-service's own tests (the real billing is exercised
 * by its own tests and by system-tests). Charges are idempotent by reference like billing's (201 posted,
 * 200 replay), or 402 when told to. Refunds (201, 200 replay, 404 without a charge) answer like billing's
 * {@code /internal/refunds}, which order-service no longer calls (billing refunds on {@code order.failed}):
 * the requests are recorded so tests can say none came. {@link #mode} makes billing unreachable or failing.
 */
public class BillingStub implements QuarkusTestResourceLifecycleManager {

    public enum Mode {
        /** Answers. */
        UP,
        /** Drops every connection without a byte of answer (billing died, a proxy cut it). */
        DROP,
        /** Answers 503 (billing up but its database is not). */
        FAILING
    }

    private static final Pattern REFERENCE = Pattern.compile("\"reference\":\"([^\"]*)\"");
    private static final Pattern AMOUNT = Pattern.compile("\"amount\":\"([^\"]*)\"");
    private static final Pattern CHARGE_REFERENCE = Pattern.compile("\"charge_reference\":\"([^\"]*)\"");

    public static volatile boolean insufficient;
    public static volatile Mode mode = Mode.UP;
    /** How long the stub sits on a charge before answering (0: at once). */
    public static volatile long delayMillis;
    /** Every charge request that reached the stub: "Authorization body". */
    public static final List<String> chargeRequests = new CopyOnWriteArrayList<>();
    /** Every refund request that reached the stub: "Authorization body". */
    public static final List<String> refundRequests = new CopyOnWriteArrayList<>();
    /** Charges that moved money: reference → amount (one entry per reference, as billing's ledger). */
    public static final Map<String, String> posted = new ConcurrentHashMap<>();
    /** Refunds that moved money: charge reference → amount. */
    public static final Map<String, String> refunded = new ConcurrentHashMap<>();

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
            if (unavailable(exchange)) {
                return;
            }
            if (delayMillis > 0) {
                try {
                    Thread.sleep(delayMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (insufficient) {
                answer(exchange, 402, "{\"detail\":\"Insufficient balance\",\"code\":\"insufficient_balance\"}");
                return;
            }
            String reference = first(REFERENCE, body);
            boolean fresh = posted.putIfAbsent(reference, first(AMOUNT, body)) == null;
            answer(exchange, fresh ? 201 : 200, "{\"reference\":\"" + reference + "\",\"amount\":\"" + posted.get(reference)
                    + "\",\"balance\":\"80.00\",\"currency\":\"USD\"}");
        });
        server.createContext("/internal/refunds", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            refundRequests.add(exchange.getRequestHeaders().getFirst("Authorization") + " " + body);
            if (unavailable(exchange)) {
                return;
            }
            String charge = first(CHARGE_REFERENCE, body);
            String amount = posted.get(charge);
            if (amount == null) {
                answer(exchange, 404, "{\"detail\":\"Charge not found\",\"code\":\"not_found\"}");
                return;
            }
            boolean fresh = refunded.putIfAbsent(charge, amount) == null;
            answer(exchange, fresh ? 201 : 200, "{\"reference\":\"refund:" + charge + "\",\"amount\":\"" + amount
                    + "\",\"balance\":\"100.00\",\"currency\":\"USD\"}");
        });
        server.start();
        return Map.of("quarkus.rest-client.billing.url", "http://127.0.0.1:" + server.getAddress().getPort());
    }

    private static boolean unavailable(HttpExchange exchange) throws IOException {
        switch (mode) {
            case DROP -> {
                exchange.close();
                return true;
            }
            case FAILING -> {
                answer(exchange, 503, "{\"detail\":\"Database unavailable\",\"code\":\"service_unavailable\"}");
                return true;
            }
            default -> {
                return false;
            }
        }
    }

    private static String first(Pattern pattern, String body) {
        Matcher matcher = pattern.matcher(body);
        return matcher.find() ? matcher.group(1) : "";
    }

    private static void answer(HttpExchange exchange, int status, String json) throws IOException {
        byte[] answer = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, answer.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(answer);
        }
    }

    @Override
    public void stop() {
        if (server != null) {
            server.stop(0);
        }
    }
}
