package com.proxyvault.contracts.events;

import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import java.math.BigDecimal;
import java.time.LocalDateTime;

/**
 * {@code order.paid}: the reseller was charged; the fleet now provisions the proxy, or, for a renewal
 * ({@code renews_proxy_id} set; absent for a purchase), moves that proxy's {@code expires_at} forward by the
 * period (docs/money.md, "Renewals"). {@code location_id}: where a purchase wants its proxy (absent: anywhere).
 */
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
        @JsonFormat(shape = JsonFormat.Shape.STRING, pattern = "yyyy-MM-dd'T'HH:mm:ss") LocalDateTime paidAt,
        @JsonInclude(JsonInclude.Include.NON_NULL) Long renewsProxyId,
        @JsonInclude(JsonInclude.Include.NON_NULL) String locationId) {

    /** A purchase's {@code order.paid} (no proxy renewed). */
    public OrderPaid(long orderId, long productId, long pricingId, String productName, String pricingLabel,
                     BigDecimal amountUsd, String periodType, int periodDuration, LocalDateTime paidAt) {
        this(orderId, productId, pricingId, productName, pricingLabel, amountUsd, periodType, periodDuration, paidAt, null, null);
    }

    /** A renewal's {@code order.paid} ({@code renewsProxyId}), or a purchase's when null. */
    public OrderPaid(long orderId, long productId, long pricingId, String productName, String pricingLabel,
                     BigDecimal amountUsd, String periodType, int periodDuration, LocalDateTime paidAt, Long renewsProxyId) {
        this(orderId, productId, pricingId, productName, pricingLabel, amountUsd, periodType, periodDuration, paidAt,
                renewsProxyId, null);
    }

    /** True when the order renews an existing proxy instead of buying a new one. */
    public boolean renewal() {
        return renewsProxyId != null;
    }
}
