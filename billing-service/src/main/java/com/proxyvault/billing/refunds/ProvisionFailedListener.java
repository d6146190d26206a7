package com.proxyvault.billing.refunds;

import com.proxyvault.contracts.events.EventTypes;
import com.proxyvault.contracts.events.ProxyProvisionFailed;
import com.proxyvault.platform.events.EventConsumer;
import com.proxyvault.platform.events.EventConsumers;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * Consumes {@code proxy.provision_failed} and refunds the order's charge, through the platform's consumer
 * template: exactly once per event (inbox row in the refund's transaction), retried with backoff
 * ({@code proxyvault.consumer.*}), then parked in {@code dead_letter_events} — a parked refund is money a
 * reseller is still owed, and an operator replays it ({@code POST /internal/dead-letters/{id}/replay}).
 */
@ApplicationScoped
public class ProvisionFailedListener {

    private final EventConsumer<ProxyProvisionFailed> consumer;

    public ProvisionFailedListener(EventConsumers consumers, RefundService refunds) {
        this.consumer = consumers.consumer(RefundService.HANDLER, EventTypes.PROXY_PROVISION_FAILED,
                ProxyProvisionFailed.class, refunds::refundFailedProvision);
    }

    @Incoming("provision-failed")
    public Uni<Void> onProvisionFailed(String payload) {
        return consumer.consume(payload);
    }
}
