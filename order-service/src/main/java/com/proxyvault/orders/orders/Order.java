package com.proxyvault.orders.orders;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.math.BigDecimal;
import java.time.LocalDateTime;

@Entity
@Table(name = "orders")
public class Order extends PanacheEntityBase {
    public static final String PURCHASE = "purchase";
    public static final String RENEWAL = "renewal";

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;
    @Column(name = "reseller_id")
    public long resellerId;
    @Column(name = "product_id")
    public long productId;
    @Column(name = "pricing_id")
    public long pricingId;
    @Column(name = "product_name")
    public String productName;
    @Column(name = "pricing_label")
    public String pricingLabel;
    @Column(name = "amount_usd")
    public BigDecimal amountUsd;
    @Column(name = "period_type")
    public String periodType;
    @Column(name = "period_duration")
    public int periodDuration;
    public String status;
    /** {@link #PURCHASE} (buys a new proxy) or {@link #RENEWAL} (extends the proxy in {@link #proxyId}). */
    public String kind = PURCHASE;
    @Column(name = "proxy_id")
    public Long proxyId;
    /** The location asked for (LAX, NYC, ...); null: any. */
    @Column(name = "location_id")
    public String locationId;
    @Column(name = "failure_reason")
    public String failureReason;
    /** An auto-renewal's: the proxy's expiry it renews, at most one live renewal each (migration V8); else null. */
    @Column(name = "renews_expiry")
    public LocalDateTime renewsExpiry;
    @Column(name = "created_at")
    public LocalDateTime createdAt;
    @Column(name = "paid_at")
    public LocalDateTime paidAt;
    @Column(name = "expires_at")
    public LocalDateTime expiresAt;
    @Column(name = "updated_at")
    public LocalDateTime updatedAt;
    /**
     * The {@code Idempotency-Key} of the request that created this order, or null (V9; one order per reseller and key).
     * Held for {@code ForwardedIdempotencyKey.RETENTION} from {@link #createdAt}: a later order with the key sets it null.
     */
    @Column(name = "idempotency_key")
    public String idempotencyKey;
    /** The {@code Idempotency-Key} of the latest pay while the order was pending, or null (V9). */
    @Column(name = "pay_idempotency_key")
    public String payIdempotencyKey;
    /** The reseller's balance right after this order's charge, once known (V9): what a replayed pay answers. */
    @Column(name = "pay_new_balance")
    public BigDecimal payNewBalance;

    public boolean isRenewal() {
        return RENEWAL.equals(kind);
    }
}
