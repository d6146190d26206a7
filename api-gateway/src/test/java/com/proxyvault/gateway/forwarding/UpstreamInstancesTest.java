package com.proxyvault.gateway.forwarding;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.ToIntFunction;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gateway's balancing over a service's instances (docs/operations.md "Two of everything"): in turn,
 * a refused connection takes an instance out at once, the health check takes it out and puts it back.
 */
class UpstreamInstancesTest {

    private Vertx vertx;

    @AfterEach
    void stopVertx() throws Exception {
        if (vertx != null) {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    private static Upstreams config(Map<String, String> upstreams) {
        return new Upstreams() {
            @Override
            public Map<String, String> upstreams() {
                return upstreams;
            }

            @Override
            public Duration upstreamTimeout() {
                return Duration.ofSeconds(10);
            }

            // The interval is also each probe's timeout: at 100 ms a busy CI machine (other test JVMs starting on
            // the same 2 cores) let the healthy instance's probe time out now and then, took it out too, and the
            // test then saw both instances tried in turn. 1 s keeps the awaits short and the probes honest.
            @Override
            public Duration healthInterval() {
                return Duration.ofSeconds(1);
            }
        };
    }

    @Test
    void shouldTakeTheListedInstancesInTurn() {
        UpstreamInstances instances = new UpstreamInstances(config(Map.of(
                "fleet", "http://127.0.0.1:8083, http://127.0.0.1:8085/")));
        Set<String> seen = new HashSet<>();
        String previous = instances.pick("fleet");
        seen.add(previous);
        for (int i = 0; i < 5; i++) {
            String next = instances.pick("fleet");
            seen.add(next);
            assertFalse(next.equals(previous), "the same instance twice in a row: " + next);
            previous = next;
        }
        assertEquals(Set.of("http://127.0.0.1:8083", "http://127.0.0.1:8085"), seen);
    }

    @Test
    void shouldKeepASingleInstanceAndKnowNoOtherService() {
        UpstreamInstances instances = new UpstreamInstances(config(Map.of("billing", "http://127.0.0.1:8081")));
        instances.connectFailed("billing", "http://127.0.0.1:8081"); // one instance is never taken out
        assertEquals("http://127.0.0.1:8081", instances.pick("billing"));
        assertNull(instances.another("billing", "http://127.0.0.1:8081"));
        assertNull(instances.pick("nothing"));
    }

    @Test
    void shouldSendToTheOtherInstanceOnlyAfterARefusedConnection() {
        UpstreamInstances instances = new UpstreamInstances(config(Map.of(
                "orders", "http://127.0.0.1:8082,http://127.0.0.1:8182")));
        instances.connectFailed("orders", "http://127.0.0.1:8182");
        for (int i = 0; i < 4; i++) {
            assertEquals("http://127.0.0.1:8082", instances.pick("orders"));
        }
        assertEquals("http://127.0.0.1:8082", instances.another("orders", "http://127.0.0.1:8182"));
        instances.connectFailed("orders", "http://127.0.0.1:8082");
        // both out: tried anyway, in turn, rather than refusing everything
        assertEquals(Set.of("http://127.0.0.1:8082", "http://127.0.0.1:8182"),
                Set.of(instances.pick("orders"), instances.pick("orders")));
        assertNull(instances.another("orders", "http://127.0.0.1:8082"));
    }

    @Test
    void shouldRetryOnlyFailuresThatHappenedBeforeTheRequestWasSent() {
        assertTrue(UpstreamInstances.isConnectFailure(new ConnectException("Connection refused")));
        assertTrue(UpstreamInstances.isConnectFailure(new IllegalStateException(new ConnectException("refused"))));
        assertFalse(UpstreamInstances.isConnectFailure(new IOException("Connection reset by peer")));
        assertFalse(UpstreamInstances.isConnectFailure(new TimeoutException("idle")));
    }

    @Test
    void shouldTakeAnInstanceOutWhileItsHealthCheckFailsAndBackWhenItPasses() throws Exception {
        vertx = Vertx.vertx();
        AtomicInteger readyStatus = new AtomicInteger(200);
        HttpServer healthy = listen(request -> 200);
        HttpServer flaky = listen(request -> readyStatus.get());
        String healthyUrl = "http://127.0.0.1:" + healthy.actualPort();
        String flakyUrl = "http://127.0.0.1:" + flaky.actualPort();
        UpstreamInstances instances = new UpstreamInstances(config(Map.of("webhooks", healthyUrl + "," + flakyUrl)));
        instances.startProbing(vertx);

        readyStatus.set(503); // e.g. its database is unreachable: /q/health/ready answers 503
        await().atMost(Duration.ofSeconds(10)).until(() -> !instances.inRotation("webhooks", flakyUrl));
        for (int i = 0; i < 4; i++) {
            assertEquals(healthyUrl, instances.pick("webhooks"));
        }

        readyStatus.set(200);
        await().atMost(Duration.ofSeconds(10)).until(() -> instances.inRotation("webhooks", flakyUrl));
        assertEquals(Set.of(healthyUrl, flakyUrl), Set.of(instances.pick("webhooks"), instances.pick("webhooks")));

        flaky.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS); // killed: nothing listens
        await().atMost(Duration.ofSeconds(10)).until(() -> !instances.inRotation("webhooks", flakyUrl));
        assertTrue(instances.inRotation("webhooks", healthyUrl));
    }

    private HttpServer listen(ToIntFunction<HttpServerRequest> status) throws Exception {
        return vertx.createHttpServer()
                .requestHandler(request -> request.response()
                        .setStatusCode(request.path().equals("/q/health/ready") ? status.applyAsInt(request) : 404).end())
                .listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
    }
}
