package com.proxyvault.gateway.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.TimeMeter;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.time.Clock;
import java.time.Duration;

/**
 * Throttles failed authentication per client address (issue 6, "Keys"; docs/api.md, "API keys"): every
 * 401 the public port answers takes a token from the address' bucket ({@code failed-auth.burst} = 20,
 * refilled at 20 per minute, Bucket4j); an address with an empty bucket gets 429
 * {@code too_many_failed_authentications} with {@code Retry-After} for every request until it refills,
 * before its credentials are even looked at: unknown keys cost a database lookup each, so this also
 * bounds what a key-guessing client costs us. Per replica, in memory, idle addresses forgotten.
 */
@Singleton
public class FailedAuthentications {

    private final int burst;
    private final TimeMeter time;
    private final Cache<String, Bucket> buckets = Caffeine.newBuilder()
            .expireAfterAccess(Duration.ofMinutes(5)).maximumSize(200_000).build();

    public FailedAuthentications(@ConfigProperty(name = "proxyvault.gateway.failed-auth.burst", defaultValue = "20") int burst,
                                 Clock clock) {
        this.burst = burst;
        this.time = new TimeMeter() {
            @Override
            public long currentTimeNanos() {
                return clock.millis() * 1_000_000L;
            }

            @Override
            public boolean isWallClockBased() {
                return true;
            }
        };
    }

    /** Seconds the address must wait (≥ 1), or 0 when it may try to authenticate. */
    public long retryAfterSeconds(String address) {
        Bucket bucket = buckets.getIfPresent(address);
        if (bucket == null || bucket.getAvailableTokens() > 0) {
            return 0;
        }
        long nanos = bucket.estimateAbilityToConsume(1).getNanosToWaitForRefill();
        return Math.max(1, (nanos + 999_999_999L) / 1_000_000_000L);
    }

    /** Counts one failed authentication from {@code address}. */
    public void record(String address) {
        buckets.get(address, ignored -> Bucket.builder()
                .addLimit(Bandwidth.builder().capacity(burst).refillGreedy(burst, Duration.ofMinutes(1)).build())
                .withCustomTimePrecision(time)
                .build()).tryConsume(1);
    }
}
