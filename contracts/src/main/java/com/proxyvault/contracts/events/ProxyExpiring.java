package com.proxyvault.contracts.events;

import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import java.time.LocalDateTime;

/**
 * {@code proxy.expiring}: proxy {@code proxy_id} (bought by order {@code order_id}) ends at
 * {@code expires_at} and will not be renewed: {@code reason} {@link #AUTO_RENEW_OFF}, or
 * {@link #INSUFFICIENT_BALANCE} when its auto-renewal was refused. Sent at each expiry checkpoint (24 h and
 * 1 h before by default; docs/money.md, "Renewals").
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record ProxyExpiring(
        long proxyId,
        long orderId,
        @JsonFormat(shape = JsonFormat.Shape.STRING, pattern = "yyyy-MM-dd'T'HH:mm:ss") LocalDateTime expiresAt,
        boolean autoRenew,
        String reason) {

    public static final String AUTO_RENEW_OFF = "auto_renew_off";
    public static final String INSUFFICIENT_BALANCE = "insufficient_balance";
}
