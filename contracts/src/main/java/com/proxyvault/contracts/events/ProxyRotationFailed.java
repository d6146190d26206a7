package com.proxyvault.contracts.events;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/**
 * {@code proxy.rotation_failed}: a reset of proxy {@code proxy_id} (bought by order {@code order_id}) that the fleet
 * took on did not change its exit IP (issue 8, docs/fleet.md "Long resets: 202"). Sent once per failed run, whether
 * the reset request answered 202 (the reseller's only news of it) or its error within the sync wait, in the same
 * transaction as the run's {@code failed} outcome that {@code GET /proxies/{id}} shows as {@code rotation}.
 *
 * @param mode     the reset asked for: {@code fast} or {@code hard} (a fast one may have escalated; see attempts)
 * @param oldIp    the exit IP before, which the proxy still has; null when the fleet knew none
 * @param reason   the error's detail, as the synchronous answer would have said it, e.g. "The modem could not do it: …"
 * @param code     its machine code: {@code rotation_failed} (the IP never changed), {@code service_unavailable} (the
 *                 modem refused or is not reachable), {@code agent_not_acknowledged}, {@code agent_timeout}
 * @param attempts resets the modem answered during the run (0: none reached it)
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record ProxyRotationFailed(long proxyId, long orderId, String mode, String oldIp, String reason, String code,
                                  int attempts) {
}
