package com.proxyvault.orders.events;

import com.proxyvault.contracts.events.ChargePosted;
import com.proxyvault.contracts.events.EventEnvelope;
import com.proxyvault.contracts.events.EventTypes;
import com.proxyvault.orders.orders.OrderService;
import com.proxyvault.platform.events.EventConsumer;
import com.proxyvault.platform.events.EventConsumers;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * The backstop of pay. Pay charges billing first and marks the order paid second; if the request dies in
 * between, the money is taken but the order still says pending_payment. billing announces every charge
 * ({@code charge.posted}, from its own outbox), so the order is completed here all the same. When pay
 * did finish, the order is no longer pending and this changes nothing: a read finds it paid and the event
 * is acknowledged without a transaction (no inbox row either: a paid order never becomes unpaid, so a
 * redelivery finds it paid as well).
 */
@ApplicationScoped
public class ChargePostedListener {

    private static final Logger LOG = Logger.getLogger(ChargePostedListener.class);
    private static final String ORDER_REFERENCE = "order:";

    private final EventConsumer<ChargePosted> consumer;

    public ChargePostedListener(EventConsumers consumers, OrderService orders) {
        this.consumer = consumers.consumer("order-charged", EventTypes.CHARGE_POSTED, ChargePosted.class,
                // The normal case: pay finished first, the order is paid (or further on) and stays so: a read
                // and no write transaction at all (bench/pay: one transaction less per purchase).
                event -> {
                    Long orderId = orderId(event.data().reference());
                    return orderId == null
                            ? Uni.createFrom().item(true) // not an order's charge: nothing to do, ever
                            : orders.isPaid(orderId, event.resellerId());
                },
                // the same read for a whole poll (batch=true): one query, then the normal path for the rest
                events -> {
                    java.util.List<EventEnvelope<ChargePosted>> ofOrders = events.stream()
                            .filter(event -> orderId(event.data().reference()) != null).toList();
                    java.util.Set<java.util.UUID> applied = new java.util.HashSet<>();
                    events.stream().filter(event -> orderId(event.data().reference()) == null)
                            .forEach(event -> applied.add(event.id()));
                    if (ofOrders.isEmpty()) {
                        return Uni.createFrom().item(applied);
                    }
                    return orders.paidAmong(
                                    ofOrders.stream().map(event -> orderId(event.data().reference())).toArray(Long[]::new),
                                    ofOrders.stream().map(EventEnvelope::resellerId).toArray(Long[]::new))
                            .map(paid -> {
                                ofOrders.stream().filter(event -> paid.contains(orderId(event.data().reference())))
                                        .forEach(event -> applied.add(event.id()));
                                return applied;
                            });
                },
                (session, event) -> {
                    Long orderId = orderId(event.data().reference());
                    if (orderId == null) {
                        return Uni.createFrom().voidItem(); // not an order's charge
                    }
                    return orders.markPaid(session, orderId, event.resellerId(), event.data().balance()).invoke(completed -> {
                        if (completed) {
                            LOG.debugf("Order %d marked paid from charge.posted (ahead of, or instead of, its pay request)", orderId);
                        }
                    });
                });
    }

    /** The order id of a charge reference {@code order:<id>}; null for any other reference. */
    static Long orderId(String reference) {
        if (reference == null || !reference.startsWith(ORDER_REFERENCE)) {
            return null;
        }
        try {
            return Long.parseLong(reference.substring(ORDER_REFERENCE.length()));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** A whole poll of charge.posted (batch=true): one read finds the orders already paid. */
    @Incoming("charge-posted")
    public Uni<Void> onChargePosted(java.util.List<String> jsons) {
        return consumer.consumeBatch(jsons);
    }
}
