package com.proxyvault.fleet.proxies;

import java.util.List;

/** provisioning → active → expired, or provisioning → failed (no capacity, agent refused or silent). */
public final class ProxyStatus {
    public static final String PROVISIONING = "provisioning";
    public static final String ACTIVE = "active";
    public static final String FAILED = "failed";
    public static final String EXPIRED = "expired";

    /** Holding a port and a modem slot. */
    public static final List<String> LIVE = List.of(PROVISIONING, ACTIVE);

    private ProxyStatus() {
    }
}
