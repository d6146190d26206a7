package com.proxyvault.contracts.events;

import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import java.time.LocalDateTime;

/**
 * {@code proxy.renewal_due} (internal): an auto-renewing proxy reached an expiry checkpoint (docs/money.md,
 * "Renewals"). order-service creates a renewal order on the pricing of the proxy's purchase order
 * {@code order_id} and asks billing to charge it. {@code expires_at}: the expiry being renewed, which makes
 * the request unique per proxy, expiry and {@code checkpoint} (the checkpoint's lead before expiry, ISO-8601
 * duration such as {@code PT1H}).
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record ProxyRenewalDue(
        long proxyId,
        long orderId,
        @JsonFormat(shape = JsonFormat.Shape.STRING, pattern = "yyyy-MM-dd'T'HH:mm:ss") LocalDateTime expiresAt,
        String checkpoint) {
}
