package com.proxyvault.contracts.events;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/**
 * {@code proxy.provision_failed}: no capacity, or the agent did not confirm in time. Billing refunds the
 * order's charge (it looks the amount up in its own ledger; the event carries no money), the order fails.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record ProxyProvisionFailed(long orderId, String reason) {
}
