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
    /**
     * Its agent missed the heartbeat timeout; active again when the agent says Hello or, on the stream it kept, reports
     * serving it in a heartbeat (docs/fleet.md "Offline detection").
     */
    public static final String OFFLINE = "offline";
    public static final String FAILED = "failed";
    public static final String EXPIRED = "expired";

    /**
     * Holding a port and a modem slot: provisioning, active and offline proxies (an offline one's agent is silent; it
     * keeps port and credentials, fleet migration V22: before it the offline sweep gave both to the next purchase). The API shows a
     * port for these only; a disconnected, failed or expired proxy's port went back to its agent's free ports (or,
     * failed, was never opened), so {@link ProxyView} shows none for it (docs/fleet.md "What a reseller sees").
     */
    public static final List<String> HOLDING_PORT = List.of(PROVISIONING, ACTIVE, OFFLINE);

    /** Paid for and not over: what the reseller's proxy list shows. */
    public static final List<String> CURRENT = List.of(PROVISIONING, ACTIVE, DISCONNECTED, OFFLINE);

    /** Their paid period is running: they expire at expires_at. */
    public static final List<String> RUNNING = List.of(ACTIVE, DISCONNECTED, OFFLINE);

    private ProxyStatus() {
    }
}
