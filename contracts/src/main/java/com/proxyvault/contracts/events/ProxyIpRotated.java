package com.proxyvault.contracts.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/**
 * {@code proxy.ip_rotated}: a reset of the modem of proxy {@code proxy_id} (bought by order {@code order_id}) changed
 * the proxy's exit IP from {@code old_ip} to {@code new_ip}, verified by the fleet (issue 8, docs/fleet.md "Verified
 * rotation"); {@code old_ip} is null when the fleet never knew the modem's exit IP (its agent reported none).
 * {@code mode}: the reset that did it ({@code fast}, or {@code hard} after an escalation);
 * {@code attempts}: resets it took. {@code trigger} (optional, added 2026-12-03; docs/fleet.md "Shared modem: every
 * proxy hears of its new IP"): {@link #RESET}, a reset asked for through this proxy, or {@link #MODEM_RESET}, a reset
 * of the modem this proxy shares, asked for through another proxy on it (never named: it may be another reseller's).
 * Absent means {@link #RESET} (events written before the field).
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record ProxyIpRotated(long proxyId, long orderId, String oldIp, String newIp, String mode, int attempts,
                             @JsonInclude(JsonInclude.Include.NON_NULL) String trigger) {

    /** The proxy's own reset: {@code POST /proxies/{id}/reset} of this proxy. */
    public static final String RESET = "reset";
    /** A reset of the modem the proxy shares, asked for through another proxy on it. */
    public static final String MODEM_RESET = "modem_reset";
}
