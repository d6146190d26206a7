package com.proxyvault.webhooks;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** {@code proxyvault.webhooks.*}: see application.properties for what each value does. */
@ConfigMapping(prefix = "proxyvault.webhooks")
public interface WebhooksConfig {

    /** Hosts exempt from the HTTPS rule and the private-address check (local development only). */
    Optional<Set<String>> allowedInsecureHosts();

    /** Read by the {@code @Scheduled} dispatcher expression; declared here so the mapping knows it. */
    @WithDefault("1s")
    String dispatchInterval();

    @WithDefault("50")
    int dispatchBatchSize();

    @WithDefault("5s")
    Duration requestTimeout();

    @WithDefault("5s,30s,2m,10m,1h")
    List<Duration> retrySchedule();
}
