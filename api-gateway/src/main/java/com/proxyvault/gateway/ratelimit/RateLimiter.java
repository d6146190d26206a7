package com.proxyvault.gateway.ratelimit;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.mutiny.redis.client.Redis;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The per-key rate limit: {@code proxyvault.gateway.rate-limit.requests-per-minute} (60, seed contract)
 * requests per rolling 60 s. Rule: a request is allowed when fewer than the limit were allowed in the
 * 60 s before it (an allowed request at {@code t} counts until {@code t + 60 s}, exclusive); refused
 * requests are not counted, so a client that keeps retrying early is not locked out longer.
 *
 * <p>Algorithm: a sliding log (the times of the allowed requests in the window, at most limit of them per
 * key), not GCRA: GCRA with a burst of 60 would allow one more request a second after a burst, the log
 * keeps the contract's "60 in any minute" exactly. Where the log lives ({@code ...rate-limit.store}):
 * {@code memory} (this JVM; one replica) or {@code redis} (one sorted set per key, decided by one Lua
 * script, exact across replicas). See docs/api.md, "Rate limits".
 *
 * <p>Redis outage: fail open to the in-process log, not closed. When Redis fails or does not answer within
 * {@code ...rate-limit.redis-timeout} (250 ms), this replica decides alone for
 * {@code ...rate-limit.redis-retry-interval} (1 s) before trying Redis again; the outage is logged once
 * (WARN, and INFO when Redis answers again) and every such decision counts in
 * {@code proxyvault_ratelimit_fallback_total}. The API stays up and each key still gets at most the limit
 * per replica (so up to N × 60 with N replicas) instead of every reseller getting 429 or 503. The
 * in-process log also remembers the requests Redis allowed, so an outage does not reset the counts.
 *
 * <p>Time comes from the injected {@link Clock} (also for Redis: the script is given "now").
 */
@ApplicationScoped
public class RateLimiter {

    /** Header names of draft-ietf-httpapi-ratelimit-headers-10 (sections 3 and 4) and RFC 9110 10.2.3. */
    public static final String POLICY_HEADER = "RateLimit-Policy";
    public static final String RATE_LIMIT_HEADER = "RateLimit";
    public static final String RETRY_AFTER_HEADER = "Retry-After";
    /** The name of our one quota policy in those headers. */
    public static final String POLICY_NAME = "default";

    static final long WINDOW_MILLIS = 60_000;

    private static final Logger LOG = Logger.getLogger(RateLimiter.class);

    private final int limit;
    private final Clock clock;
    /** The shared store, or null when the in-process log is the store. */
    private final RateLimitStore shared;
    private final MemoryRateLimitStore local;
    private final Duration redisTimeout;
    private final long redisRetryMillis;
    private final Counter fallbacks;
    private final AtomicBoolean sharedDown = new AtomicBoolean();
    /** Until when (epoch ms by {@link #clock}) decisions skip the shared store after it failed. */
    private volatile long skipSharedUntil = Long.MIN_VALUE;

    @Inject
    public RateLimiter(RateLimitConfig config, Clock clock, MeterRegistry metrics, Instance<Redis> redis) {
        this(config.requestsPerMinute(), clock, metrics,
                config.store() == RateLimitConfig.Store.REDIS
                        ? new RedisRateLimitStore(redis.get(), config.redisKeyPrefix(), config.requestsPerMinute(), WINDOW_MILLIS)
                        : null,
                config.redisTimeout(), config.redisRetryInterval());
        LOG.infof("Rate limit: %d requests per rolling minute per API key, counted %s", limit,
                shared == null ? "in this process (proxyvault.gateway.rate-limit.store=memory)"
                        : "in Redis, shared by every replica (proxyvault.gateway.rate-limit.store=redis)");
    }

    /** A limiter over the given shared store (null: in-process only); tests build replicas this way. */
    RateLimiter(int limit, Clock clock, MeterRegistry metrics, RateLimitStore shared, Duration redisTimeout,
                Duration redisRetryInterval) {
        if (limit < 1) {
            throw new IllegalArgumentException("proxyvault.gateway.rate-limit.requests-per-minute must be at least 1, not " + limit);
        }
        this.limit = limit;
        this.clock = clock;
        this.shared = shared;
        this.local = new MemoryRateLimitStore(limit, WINDOW_MILLIS);
        this.redisTimeout = redisTimeout;
        this.redisRetryMillis = redisRetryInterval.toMillis();
        this.fallbacks = Counter.builder("proxyvault.ratelimit.fallback")
                .description("Rate-limit decisions made in-process because the Redis store failed or was skipped after a failure")
                .register(metrics);
    }

    /**
     * Counts one request of {@code keyId} (any stable id of the API key: its database id or its hash,
     * never the key itself, since it is used verbatim in the Redis key) and says whether it may proceed. Never fails: if Redis fails, the in-process log
     * decides (see the class comment). Call it once per request, after the key is authenticated (so
     * made-up keys cost no memory), and render the answer with {@link Decision#headers()}.
     */
    public Uni<Decision> acquire(String keyId) {
        long now = clock.millis();
        if (shared == null) {
            return Uni.createFrom().item(local.decide(keyId, now));
        }
        if (now < skipSharedUntil) {
            return Uni.createFrom().item(fallback(keyId, now));
        }
        Context caller = Vertx.currentContext();
        return shared.acquire(keyId, now)
                .ifNoItem().after(redisTimeout).fail()
                .invoke(decision -> {
                    if (decision.allowed()) {
                        local.remember(keyId, now);
                    }
                    if (sharedDown.compareAndSet(true, false)) {
                        LOG.info("Rate limit: Redis answers again; the limit is shared by every replica again");
                    }
                })
                .onFailure().recoverWithItem(failure -> {
                    skipSharedUntil = now + redisRetryMillis;
                    if (sharedDown.compareAndSet(false, true)) {
                        LOG.warnf("Rate limit: Redis failed (%s); each replica limits on its own until it answers again"
                                + " (proxyvault_ratelimit_fallback_total counts these decisions)", failure.toString());
                    }
                    return fallback(keyId, now);
                })
                // The timeout fires on a Mutiny worker thread: hand the decision back on the caller's
                // Vert.x context, where the rest of its request (Hibernate Reactive included) must run.
                .emitOn(task -> {
                    if (caller == null || Vertx.currentContext() == caller) {
                        task.run();
                    } else {
                        caller.runOnContext(ignored -> task.run());
                    }
                });
    }

    private Decision fallback(String keyId, long now) {
        fallbacks.increment();
        return local.decide(keyId, now);
    }

    /**
     * One decision.
     *
     * @param allowed           whether the request may proceed (it was counted if so)
     * @param limit             requests per window (the policy's quota, {@code q})
     * @param remaining         requests still allowed now, after this one ({@code r}); 0 when refused
     * @param resetSeconds      seconds until the oldest counted request leaves the window, i.e. until at
     *                          least one more request is allowed again ({@code t}; the draft's "time until
     *                          additional quota is made available"); 1..60, rounded up
     * @param retryAfterSeconds when refused, the same as {@code resetSeconds} (at least 1); 0 when allowed
     * @param windowSeconds     the window ({@code w}): 60
     */
    public record Decision(boolean allowed, int limit, int remaining, long resetSeconds, long retryAfterSeconds,
                           long windowSeconds) {

        /**
         * @param counted           requests counted in the window after this decision
         * @param untilOldestLeaves ms until the oldest counted request leaves the window
         */
        static Decision of(boolean allowed, int limit, long windowMillis, int counted, long untilOldestLeaves) {
            long windowSeconds = windowMillis / 1000;
            // Rounded up, so a client waiting that long finds the quota back; never 0 (the draft's t=0
            // would read "now") nor more than the window (a wall clock stepped back).
            long reset = Math.min(windowSeconds, Math.max(1, (untilOldestLeaves + 999) / 1000));
            return new Decision(allowed, limit, allowed ? Math.max(0, limit - counted) : 0, reset, allowed ? 0 : reset,
                    windowSeconds);
        }

        /** {@code RateLimit-Policy} value, e.g. {@code "default";q=60;w=60} (draft-10 section 3). */
        public String policyHeaderValue() {
            return "\"" + POLICY_NAME + "\";q=" + limit + ";w=" + windowSeconds;
        }

        /** {@code RateLimit} value, e.g. {@code "default";r=59;t=60} (draft-10 section 4). */
        public String rateLimitHeaderValue() {
            return "\"" + POLICY_NAME + "\";r=" + remaining + ";t=" + resetSeconds;
        }

        /** {@code Retry-After} value in delay-seconds (RFC 9110 10.2.3), or null when allowed. */
        public String retryAfterHeaderValue() {
            return allowed ? null : Long.toString(retryAfterSeconds);
        }

        /**
         * The headers to put on the response, in this order: {@code RateLimit-Policy}, {@code RateLimit},
         * and on refusal {@code Retry-After} (equal to {@code t}, as the draft's section 5 asks: never
         * earlier than the reset). For every answer to an authenticated request, 429 or not.
         */
        public Map<String, String> headers() {
            Map<String, String> headers = new LinkedHashMap<>();
            headers.put(POLICY_HEADER, policyHeaderValue());
            headers.put(RATE_LIMIT_HEADER, rateLimitHeaderValue());
            if (!allowed) {
                headers.put(RETRY_AFTER_HEADER, retryAfterHeaderValue());
            }
            return headers;
        }
    }
}
