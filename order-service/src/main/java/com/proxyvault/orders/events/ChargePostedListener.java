package com.proxyvault.orders.events;

import com.proxyvault.contracts.events.ChargePosted;
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
 * did finish, the order is no longer pending and this changes nothing.
 */
@ApplicationScoped
public class ChargePostedListener {

    private static final Logger LOG = Logger.getLogger(ChargePostedListener.class);
    private static final String ORDER_REFERENCE = "order:";

    private final EventConsumer<ChargePosted> consumer;

    public ChargePostedListener(EventConsumers consumers, OrderService orders) {
        this.consumer = consumers.consumer("order-charged", EventTypes.CHARGE_POSTED, ChargePosted.class,
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
                            LOG.debugf("Order %d marked paid from charge.posted (ahead of, or instead of, its pay request)", orderId);
                        }
                    });
                });
    }

    @Incoming("charge-posted")
    public Uni<Void> onChargePosted(String json) {
        return consumer.consume(json);
    }
}
