package com.proxyvault.gateway.ratelimit;

import io.smallrye.mutiny.Uni;

/**
 * Where the sliding log of one limiter lives. Both implementations apply the same rule (see
 * {@link RateLimiter}): a request at {@code nowMillis} is allowed when fewer than {@code limit} requests
 * were allowed in ({@code nowMillis - windowMillis}, {@code nowMillis}]; an allowed request is recorded.
 */
interface RateLimitStore {

    /** Decides and, when allowed, records one request of {@code keyId} at {@code nowMillis} (epoch ms). */
    Uni<RateLimiter.Decision> acquire(String keyId, long nowMillis);
}
