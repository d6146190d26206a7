package com.proxyvault.orders.orders;

import com.fasterxml.jackson.annotation.JsonFormat;

import java.math.BigDecimal;
import java.time.LocalDateTime;

/**
 * An order as the API shows it: the seed's fields first, then what a reseller needs to follow it.
 * {@code kind}: "purchase" or "renewal" (then {@code proxy_id} is the proxy it extends, and
 * {@code expires_at} the proxy's expiry once the renewal is active). {@code location_id}: the location a
 * purchase asked for, null for any.
 */
public record OrderView(
        long id,
        String productName,
        String pricingLabel,
        @JsonFormat(shape = JsonFormat.Shape.STRING) BigDecimal amountUsd,
        String status,
        LocalDateTime createdAt,
        long productId,
        long pricingId,
        LocalDateTime paidAt,
        LocalDateTime expiresAt,
        Long proxyId,
        String failureReason,
        String kind,
        String locationId) {

    static OrderView of(Order o) {
        return new OrderView(o.id, o.productName, o.pricingLabel, o.amountUsd, o.status, o.createdAt,
                o.productId, o.pricingId, o.paidAt, o.expiresAt, o.proxyId, o.failureReason, o.kind, o.locationId);
    }
}
