package com.proxyvault.gateway.ratelimit;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.Request;
import io.vertx.mutiny.redis.client.Response;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The sliding log in Redis, shared by every gateway replica: one sorted set per API key
 * ({@code <prefix><keyId>}, members scored by their epoch ms), decided and recorded by
 * {@code ratelimit/sliding-log.lua} in one atomic step, so N replicas together allow exactly the limit.
 * The script is run with {@code EVALSHA}; when Redis does not know it yet (a restart, a fresh server)
 * the {@code NOSCRIPT} error is answered by one {@code EVAL}, which also caches it.
 *
 * <p>"Now" comes from the caller (the gateway's {@link java.time.Clock}), not Redis {@code TIME}: tests
 * are deterministic, and the replicas' clocks only need to agree to a few ms (NTP), which at most
 * moves a request's exit from the window by that much.
 */
final class RedisRateLimitStore implements RateLimitStore {

    static final String SCRIPT = loadScript();
    static final String SCRIPT_SHA1 = sha1(SCRIPT);

    private final Redis redis;
    private final String keyPrefix;
    private final int limit;
    private final long windowMillis;
    /** Members must differ even within one ms and across replicas: a per-instance id plus a counter. */
    private final String memberPrefix = UUID.randomUUID() + ":";
    private final AtomicLong sequence = new AtomicLong();

    RedisRateLimitStore(Redis redis, String keyPrefix, int limit, long windowMillis) {
        this.redis = redis;
        this.keyPrefix = keyPrefix;
        this.limit = limit;
        this.windowMillis = windowMillis;
    }

    @Override
    public Uni<RateLimiter.Decision> acquire(String keyId, long nowMillis) {
        String member = memberPrefix + sequence.incrementAndGet();
        return redis.send(script(Command.EVALSHA, SCRIPT_SHA1, keyId, nowMillis, member))
                .onFailure(RedisRateLimitStore::isNoScript)
                .recoverWithUni(() -> redis.send(script(Command.EVAL, SCRIPT, keyId, nowMillis, member)))
                .map(this::toDecision);
    }

    private Request script(Command command, String script, String keyId, long nowMillis, String member) {
        return Request.cmd(command).arg(script).arg(1).arg(keyPrefix + keyId)
                .arg(nowMillis).arg(windowMillis).arg(limit).arg(member);
    }

    private RateLimiter.Decision toDecision(Response reply) {
        boolean allowed = reply.get(0).toInteger() == 1;
        int counted = reply.get(1).toInteger();
        long untilOldestLeaves = reply.get(2).toLong();
        return RateLimiter.Decision.of(allowed, limit, windowMillis, counted, untilOldestLeaves);
    }

    private static boolean isNoScript(Throwable failure) {
        return failure.getMessage() != null && failure.getMessage().startsWith("NOSCRIPT");
    }

    private static String loadScript() {
        try (InputStream in = RedisRateLimitStore.class.getResourceAsStream("/ratelimit/sliding-log.lua")) {
            if (in == null) {
                throw new IllegalStateException("ratelimit/sliding-log.lua is missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Redis names a cached script by the SHA-1 of its text (lower-case hex). */
    private static String sha1(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
