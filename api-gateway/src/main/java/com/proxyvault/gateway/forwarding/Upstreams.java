package com.proxyvault.gateway.forwarding;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.Map;

/** Which service owns which public path (DESIGN.md), and where each service is. */
@ConfigMapping(prefix = "proxyvault.routing")
public interface Upstreams {

    /**
     * Base URLs by service: billing, orders, fleet, webhooks. A value may list several instances, comma
     * separated (the local stack's replicas: {@code FLEET_URL=http://127.0.0.1:8083,http://127.0.0.1:8085});
     * {@link UpstreamInstances} balances over them and skips the ones failing their health check. In
     * Kubernetes it is one Service URL, which balances itself.
     */
    Map<String, String> upstreams();

    /** How long a forwarded request may wait for the service's answer. */
    Duration upstreamTimeout();

    /**
     * How often each instance of a service listed with several is asked {@code GET /q/health/ready}
     * (docs/operations.md "Two of everything"); a single instance is never probed.
     */
    @WithDefault("1s")
    Duration healthInterval();

    /** First path segment after /v1/reseller/ → owning service. keys is served by the gateway itself. */
    Map<String, String> OWNERS = Map.of(
            "balance", "billing",
            "products", "orders",
            "orders", "orders",
            "proxies", "fleet",
            "webhooks", "webhooks");
}
