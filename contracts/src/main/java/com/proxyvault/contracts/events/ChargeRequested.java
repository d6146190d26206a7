package com.proxyvault.contracts.events;

import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import java.math.BigDecimal;

/**
 * {@code charge.requested}: order-service asks billing to charge {@code amount} (USD, 2 decimals) for order
 * {@code order_id} under the idempotency {@code reference} ({@code order:<id>}, the reference pay uses).
 * Written for orders no reseller request pays: auto-renewals. billing answers with {@code charge.posted}
 * (the money moved; order-service marks the order paid) or {@link ChargeRefused} (nothing moved).
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record ChargeRequested(
        long orderId,
        String reference,
        @JsonFormat(shape = JsonFormat.Shape.STRING) BigDecimal amount,
        String description) {
}
