package com.proxyvault.webhooks.delivery;

import com.proxyvault.platform.auth.InternalTokens;
import com.proxyvault.webhooks.WebhookFixtures;
import com.proxyvault.webhooks.WebhooksConfig;
import io.agroal.api.AgroalDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import static com.proxyvault.webhooks.WebhookFixtures.newReseller;
import static com.proxyvault.webhooks.WebhookFixtures.register;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Endpoints of several resellers on one receiver's host and port share the HTTP client's pool, which Vert.x keeps
 * per host:port: one reseller's endpoints that never answer must not hold the connections another reseller's
 * delivery to that receiver needs (docs/webhooks.md "Isolation"; stop 34: the pool was the endpoint limit, 8, so
 * three slow endpoints' 24 attempts queued in it and another reseller's attempt waited unsent until it "timed out").
 * The pool is now the replica's limit, and an attempt that times out closes its connection.
 *
 * <p>Reseller A has {@code /slow1..3}, which never answer, with a full endpoint limit of due deliveries each; reseller
 * B has {@code /fast} on the same receiver. B's test event must arrive while all of A's attempts hang, A's attempts
 * must end as timeouts (failed attempts, retried), and the connections open at once at the receiver must stay within
 * A's and B's limits (a connection left open by a timed-out attempt would add one per retry). The request timeout is
 * short here ({@link ShortRequestTimeout}) so that the timeouts and their retries take seconds: the test waits for
 * them, never asserts how long anything took.
 */
@QuarkusTest
@TestProfile(SharedReceiverTest.ShortRequestTimeout.class)
class SharedReceiverTest {

    private static final Duration PATIENCE = Duration.ofSeconds(60);
    private static final List<String> SLOW = List.of("/slow1", "/slow2", "/slow3");

    /**
     * Attempts end after 5 s without an answer (30 s in the other tests' profile): long enough for B's delivery to
     * arrive before A's first attempts end on a busy machine (it takes well under a second), short enough that the
     * timeouts and their retries come within seconds.
     */
    public static class ShortRequestTimeout implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("proxyvault.webhooks.request-timeout", "5s");
        }
    }

    @Inject
    AgroalDataSource dataSource;
    @Inject
    WebhooksConfig config;
    @Inject
    Vertx vertx;

    @Test
    void shouldDeliverAnotherResellersEventWhileSlowEndpointsOnTheSameHostAndPortHang() throws Exception {
        int perEndpoint = config.endpointConcurrency();
        int slowAttempts = SLOW.size() * perEndpoint;
        try (Receiver receiver = Receiver.start(vertx)) {
            long a = newReseller();
            List<Long> slow = SLOW.stream().map(path -> register(a, receiver.url(path), "*").id()).toList();
            long b = newReseller();
            long fast = register(b, receiver.url("/fast"), "*").id();

            for (long endpoint : slow) {
                WebhookFixtures.due(dataSource, endpoint, a, perEndpoint, "1 second");
            }
            // every one of A's attempts hangs at the receiver (or, with a pool smaller than them, the first ended)
            await().atMost(PATIENCE).until(() -> receiver.slowOpen.get() == slowAttempts || receiver.slowClosed.get() > 0);

            String eventId = given().auth().oauth2(InternalTokens.webhooks().reseller(b))
                    .post("/v1/reseller/webhooks/" + fast + "/test")
                    .then().statusCode(202).extract().path("event_id");

            await().atMost(PATIENCE).until(() -> !receiver.fastArrivals.isEmpty());
            Arrival arrival = receiver.fastArrivals.get(0);
            assertEquals(new Arrival(slowAttempts, 0), arrival,
                    "B's delivery must arrive while all of A's attempts hang: A's requests open at the receiver then, and"
                            + " A's connections closed before it (a pool smaller than A's attempts keeps B waiting for them)");
            await().atMost(PATIENCE).until(() -> count(
                    "select count(*) from deliveries where webhook_id = ? and event_id = ?::uuid and status = 'delivered' and attempts = 1",
                    fast, eventId) == 1);

            // A's attempts end as timeouts, each a failed attempt in the history, and are retried
            String slowIds = slow.stream().map(String::valueOf).collect(Collectors.joining(","));
            await().atMost(PATIENCE).until(() -> count("select count(*) from delivery_attempts where webhook_id in (" + slowIds
                    + ") and attempt = 1 and not success and response_status is null and error ilike '%timeout%'") == slowAttempts);
            await().atMost(PATIENCE).until(() -> receiver.slowSeen.get() >= 2 * slowAttempts);
            assertEquals(0, count("select count(*) from deliveries where webhook_id in (" + slowIds + ") and status <> 'pending'"),
                    "A's deliveries wait for their retries");
            int bound = slowAttempts + perEndpoint;
            assertTrue(receiver.mostOpen.get() <= bound, "connections open at once at the receiver: " + receiver.mostOpen.get()
                    + ", more than A's " + slowAttempts + " attempts and B's " + perEndpoint + " (a timed-out attempt left its connection open)");

            for (long endpoint : slow) { // cancels what is pending, so no retry outlives the receiver
                given().auth().oauth2(InternalTokens.webhooks().reseller(a)).delete("/v1/reseller/webhooks/" + endpoint)
                        .then().statusCode(200);
            }
        }
    }

    private long count(String sql, Object... parameters) throws SQLException {
        return WebhookFixtures.count(dataSource, sql, parameters);
    }

    /** What the receiver held when a {@code /fast} request arrived: A's requests open, A's connections closed. */
    record Arrival(int slowOpen, int slowClosed) {
    }

    /**
     * One receiver on 127.0.0.1 and one port (Vert.x, so it sees each connection open and close): {@code /slow*} requests
     * are never answered, {@code /fast} ones get 200 at once. Counts the connections open now and at most, the
     * {@code /slow*} requests seen and those whose connection is still open, and the connections that carried one and
     * were closed (by the client: the receiver never closes one).
     */
    static final class Receiver implements AutoCloseable {

        private final HttpServer server;
        private final Map<HttpConnection, Boolean> carriesSlow = new ConcurrentHashMap<>();
        final AtomicInteger open = new AtomicInteger();
        final AtomicInteger mostOpen = new AtomicInteger();
        final AtomicInteger slowSeen = new AtomicInteger();
        final AtomicInteger slowOpen = new AtomicInteger();
        final AtomicInteger slowClosed = new AtomicInteger();
        final List<Arrival> fastArrivals = new CopyOnWriteArrayList<>();

        private Receiver(Vertx vertx) {
            server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0));
            server.connectionHandler(connection -> {
                mostOpen.accumulateAndGet(open.incrementAndGet(), Math::max);
                carriesSlow.put(connection, false);
                connection.closeHandler(closed -> {
                    open.decrementAndGet();
                    if (Boolean.TRUE.equals(carriesSlow.remove(connection))) {
                        slowOpen.decrementAndGet();
                        slowClosed.incrementAndGet();
                    }
                });
            });
            server.requestHandler(request -> {
                if (request.path().startsWith("/slow")) {
                    slowSeen.incrementAndGet();
                    slowOpen.incrementAndGet();
                    carriesSlow.put(request.connection(), true); // never answered: it holds its connection
                } else {
                    fastArrivals.add(new Arrival(slowOpen.get(), slowClosed.get()));
                    request.body().onComplete(body -> request.response().setStatusCode(200).end());
                }
            });
        }

        static Receiver start(Vertx vertx) throws Exception {
            Receiver receiver = new Receiver(vertx);
            receiver.server.listen().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            return receiver;
        }

        String url(String path) {
            return "http://127.0.0.1:" + server.actualPort() + path;
        }

        /** Stops listening and closes every connection, so no attempt hangs on after the test. */
        @Override
        public void close() throws Exception {
            server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }
}
