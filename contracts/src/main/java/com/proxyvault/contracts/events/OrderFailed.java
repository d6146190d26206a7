package com.proxyvault.contracts.events;

import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import java.math.BigDecimal;
import java.time.LocalDateTime;

/**
 * {@code order.failed}: a paid order could not be provisioned ({@code reason} is the fleet's, from
 * {@code proxy.provision_failed}). It is order-service's compensation decision, and billing posts it:
 * {@code refunded_amount} (a string with two decimals) is what the reseller gets back — the order's
 * charged amount — for the charge {@code charge_reference} ({@code "order:42"}, the reference order-service
 * charged under). An order that was never charged has {@code refunded_amount} "0.00" and no
 * {@code charge_reference} (left out of the JSON): nothing to refund. The reseller is the envelope's.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record OrderFailed(
        long orderId,
        String reason,
        @JsonFormat(shape = JsonFormat.Shape.STRING) BigDecimal refundedAmount,
        @JsonInclude(JsonInclude.Include.NON_NULL) String chargeReference,
        @JsonFormat(shape = JsonFormat.Shape.STRING, pattern = "yyyy-MM-dd'T'HH:mm:ss") LocalDateTime failedAt) {
}
