package com.proxyvault.contracts.events;

import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import java.math.BigDecimal;

/**
 * {@code charge.refused}: billing did not post a {@link ChargeRequested} charge and nothing moved.
 * {@code reason}: {@link #INSUFFICIENT_BALANCE} or {@link #REFERENCE_CONFLICT} (the reference was used for
 * another amount or order).
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record ChargeRefused(
        long orderId,
        String reference,
        @JsonFormat(shape = JsonFormat.Shape.STRING) BigDecimal amount,
        String reason) {

    public static final String INSUFFICIENT_BALANCE = "insufficient_balance";
    public static final String REFERENCE_CONFLICT = "reference_conflict";
}
