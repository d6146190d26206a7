package com.proxyvault.contracts.events;

import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import java.math.BigDecimal;
import java.time.LocalDateTime;

/**
 * {@code order.failed}: a paid order could not be provisioned ({@code reason} is the fleet's, from
 * {@code proxy.provision_failed}) and its charge was refunded: {@code refunded_amount} is the money given
 * back (a string with two decimals, "0.00" when billing had no charge to refund).
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record OrderFailed(
        long orderId,
        String reason,
        @JsonFormat(shape = JsonFormat.Shape.STRING) BigDecimal refundedAmount,
        @JsonFormat(shape = JsonFormat.Shape.STRING, pattern = "yyyy-MM-dd'T'HH:mm:ss") LocalDateTime failedAt) {
}
