package com.proxyvault.gateway.idempotency;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;

/** {@code proxyvault.gateway.idempotency.*} (docs/api.md, "Idempotency-Key"). */
@ConfigMapping(prefix = "proxyvault.gateway.idempotency")
public interface IdempotencyConfig {

    /** How long a key is remembered, from its first request: its answer is replayed until then. */
    @WithDefault("24h")
    Duration retention();

    /**
     * How long a request in flight holds its key. Longer than any request can take (the upstream timeout
     * is 10 s); after it, a retry takes the key over, so a gateway that died mid-request blocks nothing
     * for long.
     */
    @WithDefault("60s")
    Duration lease();

    /** How often expired rows are deleted ({@link IdempotencyStore#pruneExpired()}). */
    @WithDefault("5m")
    Duration pruneInterval();

    /** Rows deleted per statement while pruning. */
    @WithDefault("1000")
    int pruneBatch();
}
