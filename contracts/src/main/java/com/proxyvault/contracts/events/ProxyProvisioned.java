package com.proxyvault.contracts.events;

import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import java.time.LocalDateTime;

/**
 * {@code proxy.provisioned}: the agent confirmed the listener is open. Carries the credentials, because
 * the reseller's webhook receiver is the natural place to hand them on to its customer.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record ProxyProvisioned(
        long proxyId,
        long orderId,
        String name,
        String ip,
        int port,
        String username,
        String password,
        String locationId,
        String status,
        @JsonFormat(shape = JsonFormat.Shape.STRING, pattern = "yyyy-MM-dd'T'HH:mm:ss") LocalDateTime expiresAt) {
}
