package com.proxyvault.gateway.forwarding;

import io.smallrye.config.ConfigMapping;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/** Which service owns which public path (DESIGN.md), and where each service is. */
@ConfigMapping(prefix = "proxyvault.routing")
public interface Upstreams {

    /** Base URLs by service: billing, orders, fleet, webhooks. */
    Map<String, String> upstreams();

    Duration upstreamTimeout();

    /** First path segment after /v1/reseller/ → owning service. keys is served by the gateway itself. */
    Map<String, String> OWNERS = Map.of(
            "balance", "billing",
            "products", "orders",
            "orders", "orders",
            "proxies", "fleet",
            "webhooks", "webhooks");

    default Optional<String> baseUrlFor(String firstSegment) {
        return Optional.ofNullable(OWNERS.get(firstSegment)).map(service -> upstreams().get(service));
    }
}
