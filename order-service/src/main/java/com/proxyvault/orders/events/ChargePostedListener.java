package com.proxyvault.orders.events;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.proxyvault.contracts.events.ChargePosted;
import com.proxyvault.contracts.outbox.EventHandlers;
import com.proxyvault.orders.orders.OrderService;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.hibernate.reactive.mutiny.Mutiny;
import org.jboss.logging.Logger;

/**
 * The backstop of pay. Pay charges billing first and marks the order paid second; if the request dies in
 * between, the money is taken but the order still says pending_payment. billing announces every charge
 * ({@code charge.posted}, from its own outbox), so the order is completed here all the same. When pay
 * did finish, the order is no longer pending and this changes nothing.
 */
@ApplicationScoped
public class ChargePostedListener {

    private static final Logger LOG = Logger.getLogger(ChargePostedListener.class);
    private static final String ORDER_REFERENCE = "order:";

    private final Mutiny.SessionFactory sessionFactory;
    private final ObjectMapper mapper;
    private final OrderService orders;

    public ChargePostedListener(Mutiny.SessionFactory sessionFactory, ObjectMapper mapper, OrderService orders) {
        this.sessionFactory = sessionFactory;
        this.mapper = mapper;
        this.orders = orders;
    }

    @Incoming("charge-posted")
    public Uni<Void> onChargePosted(String json) {
        return EventHandlers.applyOnce(sessionFactory, mapper, json, ChargePosted.class, "order-charged",
                (session, event) -> {
                    String reference = event.data().reference();
                    if (reference == null || !reference.startsWith(ORDER_REFERENCE)) {
                        return Uni.createFrom().voidItem(); // not an order's charge
                    }
                    long orderId;
                    try {
                        orderId = Long.parseLong(reference.substring(ORDER_REFERENCE.length()));
                    } catch (NumberFormatException e) {
                        return Uni.createFrom().voidItem();
                    }
                    return orders.markPaid(session, orderId, event.resellerId()).invoke(completed -> {
                        if (completed) {
                            LOG.warnf("Order %d was charged but not marked paid: completed from charge.posted", orderId);
                        }
                    });
                });
    }
}
