package com.proxyvault.webhooks;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** {@code proxyvault.webhooks.*}: see application.properties and docs/webhooks.md for what each value does. */
@ConfigMapping(prefix = "proxyvault.webhooks")
public interface WebhooksConfig {

    /**
     * {@code host} or {@code host:port} entries exempt from the HTTPS rule and the private-address check
     * (local stack and tests only; empty in production).
     */
    Optional<Set<String>> allowedInsecureHosts();

    /** Read by the {@code @Scheduled} dispatcher expression; declared here so the mapping knows it. */
    @WithDefault("1s")
    String dispatchInterval();

    /** Most deliveries claimed by one query. */
    @WithDefault("50")
    int dispatchBatchSize();

    /** A 2xx must have arrived within this time (connect, send, whole answer) to count as delivered. */
    @WithDefault("15s")
    Duration requestTimeout();

    /**
     * Waits before each retry after a failed attempt ({@code WEBHOOK_RETRY_SCHEDULE}); the first attempt is
     * immediate, and when the list runs out the delivery is given up as failed. Each wait gets ±{@link #retryJitter()}.
     */
    @WithDefault("5s,5m,30m,2h,5h,10h,10h")
    List<Duration> retrySchedule();

    /** Fraction by which each retry wait is randomly lengthened or shortened (0.2 = ±20 %). */
    @WithDefault("0.2")
    double retryJitter();

    /** Attempts in flight at once to one endpoint (per replica): a slow endpoint holds at most these. */
    @WithDefault("8")
    int endpointConcurrency();

    /** Attempts in flight at once in all (per replica): the bound of the send queue. */
    @WithDefault("256")
    int maxInFlight();

    /**
     * How long the first successful attempt after a quiet moment waits for others to be recorded in the same
     * statement (group commit); an attempt whose slot a claim is waiting for does not wait. 0 = never wait.
     */
    @WithDefault("50ms")
    Duration successLinger();

    /** An endpoint whose every attempt failed for this long is disabled. */
    @WithDefault("5d")
    Duration disableAfter();

    /** How long the previous secret still signs after a rotation. */
    @WithDefault("24h")
    Duration rotationOverlap();

    /**
     * Most live (not deleted; disabled ones count, they can be enabled again) endpoints one reseller may have
     * ({@code WEBHOOK_MAX_ENDPOINTS_PER_RESELLER}); one more is 409 {@code webhook_limit_reached}. Every endpoint may
     * take {@code "*"}, so this bounds the deliveries one event fans out into (docs/webhooks.md "Limits").
     */
    @WithDefault("20")
    int maxEndpointsPerReseller();
}
