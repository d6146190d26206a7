package com.proxyvault.orders.orders;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An order's life, as one table ({@link #TRANSITIONS}: from → the states it may move to):
 *
 * <pre>
 * pending_payment → paid → provisioning → active → expired
 *        │            │          │
 *        │            └──────────┴──→ failed      (proxy.provision_failed; the charge is refunded)
 *        └──→ cancelled                           (unpaid for proxyvault.orders.unpaid-timeout)
 * </pre>
 *
 * <p>paid may also go straight to active or expired, and provisioning to expired: the fleet's events
 * travel on different topics and can be read in any order, so the order follows them only forwards and
 * ends where its proxy really is. cancelled → paid is the one way back, taken only by a charge that
 * billing did post (a pay that started before the cancellation and finished after it): the money decides,
 * the reseller gets what they paid for. expired and failed are final.
 *
 * <p>The database holds the same table ({@code order_status_transitions}, V3) and a trigger refuses any
 * other status change, so an illegal transition cannot be written by any code path;
 * {@code OrderLifecycleTest} checks the two tables are equal. The first five words are the seed's.
 */
public final class OrderStatus {
    public static final String PENDING_PAYMENT = "pending_payment";
    public static final String PAID = "paid";
    public static final String PROVISIONING = "provisioning";
    public static final String ACTIVE = "active";
    public static final String EXPIRED = "expired";
    public static final String FAILED = "failed";
    public static final String CANCELLED = "cancelled";

    public static final List<String> ALL = List.of(PENDING_PAYMENT, PAID, PROVISIONING, ACTIVE, EXPIRED, FAILED, CANCELLED);

    /** from → allowed targets. Every status is a key (final ones map to the empty set). */
    public static final Map<String, Set<String>> TRANSITIONS = table();

    private static Map<String, Set<String>> table() {
        Map<String, Set<String>> t = new LinkedHashMap<>();
        t.put(PENDING_PAYMENT, Set.of(PAID, CANCELLED));
        t.put(PAID, Set.of(PROVISIONING, ACTIVE, EXPIRED, FAILED));
        t.put(PROVISIONING, Set.of(ACTIVE, EXPIRED, FAILED));
        t.put(ACTIVE, Set.of(EXPIRED));
        t.put(EXPIRED, Set.of());
        t.put(FAILED, Set.of());
        t.put(CANCELLED, Set.of(PAID));
        return Map.copyOf(t);
    }

    /** Whether an order in {@code from} may move to {@code to}. */
    public static boolean allows(String from, String to) {
        Set<String> next = TRANSITIONS.get(from);
        return next != null && next.contains(to);
    }

    /**
     * Whether an order in {@code status} has been paid: paid or any status only a paid order reaches. Such an
     * order never becomes pending or cancelled again, so "paid or further" stays true once it is.
     */
    public static boolean paidOrFurther(String status) {
        return TRANSITIONS.containsKey(status) && !PENDING_PAYMENT.equals(status) && !CANCELLED.equals(status);
    }

    /** Throws {@link IllegalTransition} unless {@link #allows}: for code that changes an order it holds. */
    public static void require(String from, String to) {
        if (!allows(from, to)) {
            throw new IllegalTransition(from, to);
        }
    }

    /**
     * The states an order may be moved out of towards {@code target}, for conditional updates
     * ({@code ... where status in (:from)}): read from {@link #TRANSITIONS}, so a repeated or out-of-order
     * event changes nothing.
     */
    public static List<String> before(String target) {
        List<String> from = ALL.stream().filter(status -> allows(status, target)).toList();
        if (from.isEmpty()) {
            throw new IllegalArgumentException("No transition leads to " + target);
        }
        return from;
    }

    /** A status change the lifecycle does not allow: a bug in the caller, never the client's fault. */
    public static final class IllegalTransition extends IllegalStateException {
        public IllegalTransition(String from, String to) {
            super("Illegal order status change " + from + " → " + to);
        }
    }

    private OrderStatus() {
    }
}
