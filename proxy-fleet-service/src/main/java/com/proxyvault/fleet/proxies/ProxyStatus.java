package com.proxyvault.fleet.proxies;

import java.util.List;

/**
 * provisioning → active → expired, or provisioning → failed (no capacity, agent refused or silent).
 * A reseller may take an active proxy to disconnected (no modem, no port) and connect it back; its paid
 * period runs on meanwhile and it expires from either state.
 */
public final class ProxyStatus {
    public static final String PROVISIONING = "provisioning";
    public static final String ACTIVE = "active";
    public static final String DISCONNECTED = "disconnected";
    public static final String FAILED = "failed";
    public static final String EXPIRED = "expired";

    /** Holding a port and a modem slot. */
    public static final List<String> LIVE = List.of(PROVISIONING, ACTIVE);

    /** Paid for and not over: what the reseller's proxy list shows. */
    public static final List<String> CURRENT = List.of(PROVISIONING, ACTIVE, DISCONNECTED);

    /** Their paid period is running: they expire at expires_at. */
    public static final List<String> RUNNING = List.of(ACTIVE, DISCONNECTED);

    private ProxyStatus() {
    }
}
