package com.proxyvault.gateway.ratelimit;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.Request;
import io.vertx.redis.client.RedisOptions;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The Redis store against a real Redis: the one of {@code quarkus.redis.hosts}, in tests
 * {@code 127.0.0.1:${PV_REDIS_PORT:6379}} (bin/test starts it; by hand: {@code bin/stack infra --redis}).
 * Each test uses its own key prefix, so runs sharing a Redis never meet.
 */
@QuarkusTest
class RedisRateLimiterTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @Inject
    Redis redis;
    @Inject
    Vertx vertx;
    @Inject
    RateLimiter injected;

    private final ManualClock clock = ManualClock.startingNow();
    private final String prefix = "test-" + UUID.randomUUID() + ":ratelimit:";

    @BeforeEach
    void redisIsUp() {
        try {
            redis.send(Request.cmd(Command.PING)).await().atMost(WAIT);
        } catch (RuntimeException e) {
            fail("No Redis at quarkus.redis.hosts (PV_REDIS_PORT=" + System.getenv().getOrDefault("PV_REDIS_PORT", "6379")
                    + "): start one with `bin/stack infra --redis` (" + e + ")");
        }
    }

    /** A gateway replica: its own limiter and store object, sharing only the Redis server. */
    private RateLimiter replica(Redis client, int limit, MeterRegistry registry) {
        return new RateLimiter(limit, clock, registry, new RedisRateLimitStore(client, prefix, limit, RateLimiter.WINDOW_MILLIS),
                Duration.ofSeconds(2), Duration.ofSeconds(1));
    }

    /** A client of a port nobody listens on (taken from the OS, then closed): connections are refused. */
    private Redis unreachableRedis() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        return Redis.createClient(vertx, new RedisOptions().setConnectionString("redis://127.0.0.1:" + closedPort));
    }

    private static RateLimiter.Decision acquire(RateLimiter limiter, String key) {
        return limiter.acquire(key).await().atMost(WAIT);
    }

    @Test
    void shouldAllowExactlySixtyAMinuteAcrossTwoReplicas() {
        RateLimiter first = replica(redis, 60, new SimpleMeterRegistry());
        RateLimiter second = replica(redis, 60, new SimpleMeterRegistry());
        for (int i = 0; i < 60; i++) {
            RateLimiter.Decision decision = acquire(i % 2 == 0 ? first : second, "key-a");
            assertTrue(decision.allowed(), "request " + (i + 1));
            assertEquals(59 - i, decision.remaining());
            clock.advance(Duration.ofMillis(100));
        }
        RateLimiter.Decision refused = acquire(first, "key-a");
        assertFalse(refused.allowed());
        assertTrue(refused.retryAfterSeconds() >= 1, "Retry-After " + refused.retryAfterSeconds());
        assertEquals(54, refused.retryAfterSeconds()); // the first request (6 s ago) leaves at +60 s
        assertFalse(acquire(second, "key-a").allowed());
        assertTrue(acquire(second, "key-b").allowed(), "another key has its own quota");

        clock.advance(Duration.ofSeconds(54)); // exactly 60 s after the first request
        assertTrue(acquire(second, "key-a").allowed());
        assertFalse(acquire(first, "key-a").allowed()); // the second request is 59.9 s old
    }

    @Test
    void shouldAllowExactlyTheLimitWhenReplicasAskAtOnce() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        RateLimiter first = replica(redis, 60, registry);
        RateLimiter second = replica(redis, 60, registry);
        List<Uni<RateLimiter.Decision>> all = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            all.add((i % 2 == 0 ? first : second).acquire("same-ms")); // all at the same millisecond
        }
        List<RateLimiter.Decision> decisions = Uni.join().all(all).andFailFast().await().atMost(WAIT);
        assertEquals(60, decisions.stream().filter(RateLimiter.Decision::allowed).count());
        // all decided by Redis: a burst must not exhaust the connection pool and fall back
        assertEquals(0.0, registry.counter("proxyvault.ratelimit.fallback").count());
    }

    @Test
    void shouldExpireTheKeysLogAfterTheWindow() {
        RateLimiter limiter = replica(redis, 60, new SimpleMeterRegistry());
        acquire(limiter, "ttl");
        long ttl = redis.send(Request.cmd(Command.PTTL).arg(prefix + "ttl"))
                .await().atMost(WAIT).toLong();
        assertTrue(ttl > 0 && ttl <= 60_000, "PTTL " + ttl);
    }

    @Test
    void shouldDecideInProcessWhenRedisIsUnreachable() throws IOException {
        Redis unreachable = unreachableRedis();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        RateLimiter limiter = replica(unreachable, 3, registry);
        try {
            for (int i = 0; i < 3; i++) {
                assertTrue(acquire(limiter, "k").allowed());
            }
            RateLimiter.Decision refused = acquire(limiter, "k");
            assertFalse(refused.allowed(), "the in-process fallback still limits");
            assertTrue(refused.retryAfterSeconds() >= 1);
            assertEquals(4.0, registry.counter("proxyvault.ratelimit.fallback").count());
        } finally {
            unreachable.close();
        }
    }

    @Test
    void shouldDecideInProcessWhenRedisDoesNotAnswerInTime() throws IOException {
        // A port that accepts connections (the kernel's backlog) but never answers: a hung Redis.
        try (ServerSocket silent = new ServerSocket(0)) {
            Redis hung = Redis.createClient(vertx, new RedisOptions().setConnectionString("redis://127.0.0.1:" + silent.getLocalPort()));
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            RateLimiter limiter = new RateLimiter(3, clock, registry, new RedisRateLimitStore(hung, prefix, 3, RateLimiter.WINDOW_MILLIS),
                    Duration.ofMillis(200), Duration.ofSeconds(1));
            try {
                assertTrue(acquire(limiter, "k").allowed());
                assertEquals(1.0, registry.counter("proxyvault.ratelimit.fallback").count());
            } finally {
                hung.close();
            }
        }
    }

    @Test
    void shouldKeepTheCountsWhenRedisFailsMidWindowAndShareThemAgainWhenItIsBack() throws IOException {
        Redis unreachable = unreachableRedis();
        try {
            RedisRateLimitStore reachable = new RedisRateLimitStore(redis, prefix, 3, RateLimiter.WINDOW_MILLIS);
            RedisRateLimitStore[] current = {reachable};
            RateLimitStore switching = (key, now) -> current[0].acquire(key, now);
            RateLimiter limiter = new RateLimiter(3, clock, new SimpleMeterRegistry(), switching, Duration.ofSeconds(2),
                    Duration.ofSeconds(1));
            assertTrue(acquire(limiter, "k").allowed());
            assertTrue(acquire(limiter, "k").allowed());

            current[0] = new RedisRateLimitStore(unreachable, prefix, 3, RateLimiter.WINDOW_MILLIS); // Redis goes away
            assertTrue(acquire(limiter, "k").allowed()); // the replica remembers the two Redis allowed
            assertFalse(acquire(limiter, "k").allowed());

            current[0] = reachable; // back: Redis decides again (it counted two), after the retry interval
            clock.advance(Duration.ofSeconds(1));
            assertTrue(acquire(limiter, "k").allowed());
            assertFalse(acquire(limiter, "k").allowed());
        } finally {
            unreachable.close();
        }
    }

    @Test
    void shouldStartWithTheInProcessStoreWhenNoneIsConfigured() {
        // %test has no proxyvault.gateway.rate-limit.store: the app runs without needing Redis.
        RateLimiter.Decision decision = injected.acquire("injected-" + UUID.randomUUID()).await().atMost(WAIT);
        assertTrue(decision.allowed());
        assertEquals(60, decision.limit());
        assertEquals(59, decision.remaining());
    }
}
