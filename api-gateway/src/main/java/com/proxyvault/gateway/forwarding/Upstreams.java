package com.proxyvault.gateway.forwarding;

import io.smallrye.config.ConfigMapping;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/** Which service owns which public path (DESIGN.md), and where each service is. */
@ConfigMapping(prefix = "proxyvault.routing")
public interface Upstreams {

    /**
     * Base URLs by service: billing, orders, fleet, webhooks. A value may list several instances, comma
     * separated (the local stack's two fleet replicas: {@code FLEET_URL=http://127.0.0.1:8083,http://127.0.0.1:8085});
     * {@link #baseUrl} takes them in turn. In Kubernetes it is one Service URL, which balances itself.
     */
    Map<String, String> upstreams();

    Duration upstreamTimeout();

    /** First path segment after /v1/reseller/ → owning service. keys is served by the gateway itself. */
    Map<String, String> OWNERS = Map.of(
            "balance", "billing",
            "products", "orders",
            "orders", "orders",
            "proxies", "fleet",
            "webhooks", "webhooks");

    /** Turns through the instances of every service listing several (one counter for all: enough to spread). */
    AtomicLong TURN = new AtomicLong();

    default Optional<String> baseUrlFor(String firstSegment) {
        return Optional.ofNullable(OWNERS.get(firstSegment)).map(this::baseUrl);
    }

    /** The base URL of one instance of {@code service}, round-robin over the ones listed; null for no such service. */
    default String baseUrl(String service) {
        String listed = upstreams().get(service);
        if (listed == null || listed.indexOf(',') < 0) {
            return listed;
        }
        String[] instances = listed.split(",");
        return instances[(int) Math.floorMod(TURN.getAndIncrement(), (long) instances.length)].trim();
    }
}
