package com.proxyvault.gateway.ratelimit;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;

/**
 * {@code proxyvault.gateway.rate-limit.*}: the per-key limit and where its counts live (docs/api.md,
 * "Rate limits").
 */
@ConfigMapping(prefix = "proxyvault.gateway.rate-limit")
public interface RateLimitConfig {

    /** Requests allowed per key in any rolling 60 s (seed contract: 60). At least 1. */
    @WithDefault("60")
    int requestsPerMinute();

    /**
     * {@code memory}: each gateway replica counts alone (one replica, tests, no Redis). {@code redis}: the
     * counts live in the Redis of {@code quarkus.redis.hosts}, so the limit holds across replicas.
     */
    @WithDefault("memory")
    Store store();

    /** The longest a Redis answer may take; later, the in-process limiter decides instead. */
    @WithDefault("250ms")
    Duration redisTimeout();

    /** After a Redis failure, how long the in-process limiter decides alone before Redis is tried again. */
    @WithDefault("1s")
    Duration redisRetryInterval();

    /** Prefix of the Redis keys ({@code <prefix><keyId>}, one sorted set per API key). */
    @WithDefault("pv:ratelimit:")
    String redisKeyPrefix();

    enum Store {
        MEMORY, REDIS
    }
}
