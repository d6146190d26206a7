package com.proxyvault.contracts.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/**
 * {@code proxy.ip_rotated}: the exit IP of proxy {@code proxy_id} (bought by order {@code order_id}) changed from
 * {@code old_ip} to {@code new_ip}. Usually a reset of its modem did it, verified by the fleet (issue 8, docs/fleet.md
 * "Verified rotation"); {@code old_ip} is then null when the fleet never knew the modem's exit IP (its agent reported
 * none). {@code mode}: the reset that did it ({@code fast}, or {@code hard} after an escalation); {@code attempts}:
 * resets it took (at least 1). {@code trigger} (optional, added 2026-12-03; docs/fleet.md "Shared modem: every proxy
 * hears of its new IP"): {@link #RESET}, a reset asked for through this proxy, or {@link #MODEM_RESET}, a reset of the
 * modem this proxy shares, asked for through another proxy on it (never named: it may be another reseller's).
 * Absent means {@link #RESET} (events written before the field).
 *
 * <p>{@link #NETWORK} (added 2026-12-03; docs/fleet.md "Network changes"): the modem's exit IP changed without a reset
 * of the fleet (the carrier reassigned it, the modem reconnected by itself), as its agent's heartbeat or Hello reported
 * it; {@code old_ip} is the IP the fleet knew (never null: a change from no known IP is not announced), {@code mode}
 * {@value #NO_RESET} and {@code attempts} 0, since no reset ran ({@link #network}). Both stay present and typed as
 * before (a string, an integer), only with values outside the reset's, so a client reading them does not break; one
 * that switches on {@code mode} should read {@code trigger} first.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record ProxyIpRotated(long proxyId, long orderId, String oldIp, String newIp, String mode, int attempts,
                             @JsonInclude(JsonInclude.Include.NON_NULL) String trigger) {

    /** The proxy's own reset: {@code POST /proxies/{id}/reset} of this proxy. */
    public static final String RESET = "reset";
    /** A reset of the modem the proxy shares, asked for through another proxy on it. */
    public static final String MODEM_RESET = "modem_reset";
    /** The modem's exit IP changed without a reset of the fleet, learned from its agent (heartbeat or Hello). */
    public static final String NETWORK = "network";
    /** {@code mode} of a {@link #NETWORK} change: no reset ran. */
    public static final String NO_RESET = "none";

    /**
     * A {@link #NETWORK} change of the proxy's exit IP from {@code oldIp} (known, not null) to {@code newIp}: mode
     * {@value #NO_RESET}, 0 attempts.
     */
    public static ProxyIpRotated network(long proxyId, long orderId, String oldIp, String newIp) {
        return new ProxyIpRotated(proxyId, orderId, oldIp, newIp, NO_RESET, 0, NETWORK);
    }
}
