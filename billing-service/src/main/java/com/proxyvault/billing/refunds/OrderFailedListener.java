package com.proxyvault.billing.refunds;

import com.proxyvault.contracts.events.EventTypes;
import com.proxyvault.contracts.events.OrderFailed;
import com.proxyvault.platform.events.EventConsumer;
import com.proxyvault.platform.events.EventConsumers;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * Consumes {@code order.failed} — order-service's decision to give a failed order's charge back — and
 * posts that refund ({@link RefundService#refundFailedOrder}), through the platform's consumer template:
 * exactly once per event (inbox row in the refund's transaction) and once per charge (the reference
 * {@code refund:<charge reference>}); a refund that cannot be posted (the database is down, or the event
 * does not match the ledger's charge) is retried with backoff ({@code proxyvault.consumer.*}) and then parked
 * in {@code dead_letter_events} — a parked refund is money a reseller may still be owed, and an operator
 * looks at it and replays it ({@code POST /internal/dead-letters/{id}/replay}).
 */
@ApplicationScoped
public class OrderFailedListener {

    private final EventConsumer<OrderFailed> consumer;

    public OrderFailedListener(EventConsumers consumers, RefundService refunds) {
        this.consumer = consumers.consumer(RefundService.HANDLER, EventTypes.ORDER_FAILED, OrderFailed.class,
                refunds::refundFailedOrder);
    }

    @Incoming("order-failed")
    public Uni<Void> onOrderFailed(String payload) {
        return consumer.consume(payload);
    }
}
