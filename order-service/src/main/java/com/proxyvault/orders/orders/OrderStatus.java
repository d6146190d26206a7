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

    /**
     * The states a fleet event may move a paid order out of, towards {@code target}: only forwards along
     * paid → provisioning → active → expired. The fleet's events travel on different topics, so they can
     * arrive in any order; moving only forwards makes the order end where the proxy really is (an
     * {@code proxy.expired} read before its {@code proxy.provisioned} leaves the order expired, and the
     * late provisioned changes nothing). {@code failed} is reachable only before the proxy was active.
     */
    public static List<String> before(String target) {
        return switch (target) {
            case PROVISIONING -> List.of(PAID);
            case ACTIVE -> List.of(PAID, PROVISIONING);
            case EXPIRED -> List.of(PAID, PROVISIONING, ACTIVE);
            case FAILED -> List.of(PAID, PROVISIONING);
            default -> throw new IllegalArgumentException("No fleet event leads to " + target);
        };
    }

    private OrderStatus() {
    }
}
