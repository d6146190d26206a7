package com.proxyvault.orders.orders;

import java.util.List;

/**
 * An order's life: pending_payment → paid → (provisioning) → active → expired, or paid → failed when the
 * fleet could not provision it (billing refunds it). The first five are the seed's status words.
 */
public final class OrderStatus {
    public static final String PENDING_PAYMENT = "pending_payment";
    public static final String PAID = "paid";
    public static final String PROVISIONING = "provisioning";
    public static final String ACTIVE = "active";
    public static final String EXPIRED = "expired";
    public static final String FAILED = "failed";

    public static final List<String> ALL = List.of(PENDING_PAYMENT, PAID, PROVISIONING, ACTIVE, EXPIRED, FAILED);

    private OrderStatus() {
    }
}
