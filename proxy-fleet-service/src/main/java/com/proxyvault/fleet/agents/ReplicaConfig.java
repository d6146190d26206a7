package com.proxyvault.fleet.agents;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.Optional;

/**
 * This fleet replica's identity and internal address (docs/fleet.md "Two replicas"): other replicas
 * forward a command for an agent whose stream is here to {@link #url()}.
 */
@ConfigMapping(prefix = "proxyvault.fleet.replica")
public interface ReplicaConfig {

    /** {@code FLEET_REPLICA_ID} (Kubernetes: the pod name); absent → a random id per start. */
    Optional<String> id();

    /** {@code FLEET_REPLICA_URL}: where the other replicas reach this one's HTTP port (Kubernetes: the pod IP). */
    String url();

    /** How long this replica's claims on its agents hold without a renewal (a crashed replica's expire). */
    @WithDefault("15s")
    Duration lease();

    /** How often this replica renews its lease (well inside {@link #lease()}). */
    @WithDefault("5s")
    Duration renewInterval();

    /** How long a forwarded command may take beyond the agent's own timeout (the hop between replicas). */
    @WithDefault("3s")
    Duration forwardMargin();
}
