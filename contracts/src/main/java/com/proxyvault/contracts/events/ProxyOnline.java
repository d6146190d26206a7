package com.proxyvault.contracts.events;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/**
 * {@code proxy.online}: the offline proxy {@code proxy_id} is active again, same port and credentials, because
 * its agent reconnected (docs/fleet.md "Offline detection").
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record ProxyOnline(long proxyId, long orderId) {
}
