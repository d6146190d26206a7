package com.proxyvault.contracts.events;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/**
 * {@code proxy.provisioning}: the fleet found a modem for a paid order and is opening the proxy; the order
 * shows {@code provisioning} until {@code proxy.provisioned} or {@code proxy.provision_failed}.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record ProxyProvisioning(long proxyId, long orderId, String locationId) {
}
