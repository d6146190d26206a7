package com.proxyvault.billing.charges;

import com.proxyvault.contracts.events.ChargeRequested;
import com.proxyvault.contracts.events.EventTypes;
import com.proxyvault.platform.events.EventConsumer;
import com.proxyvault.platform.events.EventConsumers;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * Consumes {@code charge.requested} — order-service asking for the charge of an order no reseller request
 * pays (an auto-renewal, docs/money.md "Renewals") — and posts it ({@link ChargeService#chargeRequested}),
 * once per event through the platform's consumer template and once per order through the charge's
 * reference {@code order:<id>}: the same reference a pay of that order would use.
 */
@ApplicationScoped
public class ChargeRequestedListener {

    private final EventConsumer<ChargeRequested> consumer;

    public ChargeRequestedListener(EventConsumers consumers, ChargeService charges) {
        this.consumer = consumers.consumer("charge-requested-order", EventTypes.CHARGE_REQUESTED, ChargeRequested.class,
                charges::chargeRequested);
    }

    @Incoming("charge-requested")
    public Uni<Void> onChargeRequested(String payload) {
        return consumer.consume(payload);
    }
}
