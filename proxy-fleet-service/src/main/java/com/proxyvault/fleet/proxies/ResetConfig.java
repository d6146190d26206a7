package com.proxyvault.fleet.proxies;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;

/** IP rotation rules (issue 8, docs/fleet.md "Verified rotation"): {@code proxyvault.fleet.reset.*}. */
@ConfigMapping(prefix = "proxyvault.fleet.reset")
public interface ResetConfig {

    /** Least time between two resets of a proxy's modem, any mode ({@code FLEET_RESET_FAST_COOLDOWN}). */
    @WithDefault("10s")
    Duration fastCooldown();

    /** Least time between two hard resets ({@code FLEET_RESET_HARD_COOLDOWN}): a modem re-attach is slow and noisy. */
    @WithDefault("5m")
    Duration hardCooldown();

    /** Resets tried in one mode before giving up on it (fast then escalates to hard). */
    @WithDefault("2")
    int attemptsPerMode();

    /**
     * {@code FLEET_RESET_SYNC_WAIT}: how long {@code POST /proxies/{id}/reset} waits for the rotation before it
     * answers 202 and lets it finish in the background (docs/fleet.md "Long resets: 202"). Issue 8 says ~10 s;
     * 8 s keeps the answer inside the gateway's 10 s upstream timeout ({@code UPSTREAM_TIMEOUT}).
     */
    @WithDefault("8s")
    Duration syncWait();
}
