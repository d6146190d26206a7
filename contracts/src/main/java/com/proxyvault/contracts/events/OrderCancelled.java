package com.proxyvault.contracts.events;

import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import java.time.LocalDateTime;

/**
 * {@code order.cancelled}: an order left unpaid past {@code proxyvault.orders.unpaid-timeout} was cancelled;
 * it can no longer be paid. No money had moved. {@code reason}: {@link #UNPAID_TIMEOUT} (the only one today).
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record OrderCancelled(
        long orderId,
        String reason,
        @JsonFormat(shape = JsonFormat.Shape.STRING, pattern = "yyyy-MM-dd'T'HH:mm:ss") LocalDateTime cancelledAt) {

    public static final String UNPAID_TIMEOUT = "unpaid_timeout";
}
