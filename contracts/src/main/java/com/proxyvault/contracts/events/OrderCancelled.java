package com.proxyvault.contracts.events;

import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import java.time.LocalDateTime;

/**
 * {@code order.cancelled}: an order that will never be paid was cancelled; no money had moved. {@code reason}:
 * {@link #UNPAID_TIMEOUT} (left unpaid past {@code proxyvault.orders.unpaid-timeout}) or
 * {@link #INSUFFICIENT_BALANCE} (an auto-renewal billing refused for the balance), {@link #CHARGE_REFUSED}. {@code proxy_id}: the proxy a renewal
 * order was for (absent for a purchase).
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record OrderCancelled(
        long orderId,
        String reason,
        @JsonFormat(shape = JsonFormat.Shape.STRING, pattern = "yyyy-MM-dd'T'HH:mm:ss") LocalDateTime cancelledAt,
        @JsonInclude(JsonInclude.Include.NON_NULL) Long proxyId) {

    /** A purchase order's cancellation (no proxy). */
    public OrderCancelled(long orderId, String reason, LocalDateTime cancelledAt) {
        this(orderId, reason, cancelledAt, null);
    }

    public static final String UNPAID_TIMEOUT = "unpaid_timeout";
    public static final String INSUFFICIENT_BALANCE = "insufficient_balance";
    /** billing refused the requested charge for another reason (its reference clashed with another charge). */
    public static final String CHARGE_REFUSED = "charge_refused";
}
