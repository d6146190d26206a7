package com.proxyvault.contracts.events;

import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import java.math.BigDecimal;
import java.time.LocalDateTime;

/**
 * {@code charge.posted}: billing debited a reseller (written in the charge's own transaction). order-service
 * uses it as the backstop of pay: an order whose charge went through is marked paid even if the pay
 * request died between the charge and marking the order.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record ChargePosted(
        String reference,
        @JsonFormat(shape = JsonFormat.Shape.STRING) BigDecimal amount,
        @JsonFormat(shape = JsonFormat.Shape.STRING) BigDecimal balance,
        @JsonFormat(shape = JsonFormat.Shape.STRING, pattern = "yyyy-MM-dd'T'HH:mm:ss") LocalDateTime postedAt) {
}
