package com.proxyvault.contracts.events;

import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import java.math.BigDecimal;
import java.time.LocalDateTime;

/** {@code order.paid}: the reseller was charged; the fleet now provisions the proxy. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record OrderPaid(
        long orderId,
        long productId,
        long pricingId,
        String productName,
        String pricingLabel,
        @JsonFormat(shape = JsonFormat.Shape.STRING) BigDecimal amountUsd,
        String periodType,
        int periodDuration,
        @JsonFormat(shape = JsonFormat.Shape.STRING, pattern = "yyyy-MM-dd'T'HH:mm:ss") LocalDateTime paidAt) {
}
