package com.proxyvault.contracts.events;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/**
 * {@code proxy.ip_rotated}: a reset of proxy {@code proxy_id} (bought by order {@code order_id}) changed its
 * exit IP from {@code old_ip} to {@code new_ip}, verified by the fleet (issue 8, docs/fleet.md "Verified
 * rotation"). {@code mode}: the reset that did it ({@code fast}, or {@code hard} after an escalation);
 * {@code attempts}: resets it took.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record ProxyIpRotated(long proxyId, long orderId, String oldIp, String newIp, String mode, int attempts) {
}
