package com.proxyvault.fleet.proxies;

import java.util.List;

/**
 * provisioning → active → expired, or provisioning → failed (no capacity, agent refused or silent).
 * A reseller may take an active proxy to disconnected (no modem, no port) and connect it back; its paid
 * period runs on meanwhile and it expires from either state. An active proxy whose agent misses the heartbeat
 * timeout is offline until the agent says Hello again (then active, same port and credentials).
 */
public final class ProxyStatus {
    public static final String PROVISIONING = "provisioning";
    public static final String ACTIVE = "active";
    public static final String DISCONNECTED = "disconnected";
    /** Its agent missed the heartbeat timeout; active again when the agent reconnects (docs/fleet.md). */
    public static final String OFFLINE = "offline";
    public static final String FAILED = "failed";
    public static final String EXPIRED = "expired";

    /** Holding a port and a modem slot. */
    public static final List<String> LIVE = List.of(PROVISIONING, ACTIVE);

    /** Paid for and not over: what the reseller's proxy list shows. */
    public static final List<String> CURRENT = List.of(PROVISIONING, ACTIVE, DISCONNECTED, OFFLINE);

    /** Their paid period is running: they expire at expires_at. */
    public static final List<String> RUNNING = List.of(ACTIVE, DISCONNECTED, OFFLINE);

    private ProxyStatus() {
    }
}
