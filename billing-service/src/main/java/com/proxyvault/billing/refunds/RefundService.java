package com.proxyvault.billing.refunds;

import com.proxyvault.billing.ledger.EntryKind;
import com.proxyvault.billing.ledger.Ledger;
import com.proxyvault.billing.ledger.LedgerMetrics;
import com.proxyvault.billing.ledger.Movement;
import com.proxyvault.billing.ledger.Origin;
import com.proxyvault.billing.ledger.Posting;
import com.proxyvault.billing.ledger.References;
import com.proxyvault.contracts.events.EventEnvelope;
import com.proxyvault.contracts.events.ProxyProvisionFailed;
import com.proxyvault.platform.http.ApiException;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.hibernate.reactive.mutiny.Mutiny;
import org.jboss.logging.Logger;

/**
 * Gives an order's charge back when its proxy could not be provisioned. The event carries no money: the
 * amount is whatever the ledger says was charged under {@code order:<id>}, so a refund can never exceed the
 * charge. Exactly once, twice over: the consumer template records the event id in {@code processed_events}
 * in the same transaction, and the refund's reference {@code refund:order:<id>} is unique in the ledger (so a second,
 * different event about the same order refunds nothing either).
 */
@ApplicationScoped
public class RefundService {

    static final String HANDLER = "refund-failed-provision";
    private static final Logger LOG = Logger.getLogger(RefundService.class);

    static final String CHARGE_NOT_FOUND = "Charge not found";
    static final String ALREADY_REFUNDED_ELSEWHERE = "Charge already refunded by another path (proxy.provision_failed)";

    private final Mutiny.SessionFactory sessionFactory;
    private final Ledger ledger;
    private final LedgerMetrics metrics;

    public RefundService(Mutiny.SessionFactory sessionFactory, Ledger ledger, LedgerMetrics metrics) {
        this.sessionFactory = sessionFactory;
        this.ledger = ledger;
        this.metrics = metrics;
    }

    /** In the consumer's transaction (which also records the event as processed). */
    public Uni<Void> refundFailedProvision(Mutiny.Session session, EventEnvelope<ProxyProvisionFailed> event) {
        if (event.data().orderId() <= 0) {
            return Uni.createFrom().voidItem(); // names no order: nothing to give back
        }
        return refund(session, event.resellerId(), event.data());
    }

    private Uni<Void> refund(Mutiny.Session session, long resellerId, ProxyProvisionFailed failure) {
        String chargeReference = References.orderCharge(failure.orderId());
        return ledger.findAmount(session, resellerId, chargeReference).chain(charged -> {
            if (charged == null || charged.signum() >= 0) {
                // Nothing was charged for this order (or it is not this reseller's): nothing to give back.
                LOG.warnf("No charge %s of reseller %d to refund", chargeReference, resellerId);
                return Uni.createFrom().voidItem();
            }
            Movement refund = Movement.refund(resellerId, References.refundOf(chargeReference), charged.negate(),
                    "Provisioning failed: " + failure.reason(), failure.orderId(), Origin.PROVISION_FAILED);
            return ledger.post(session, refund)
                    .invoke(this::logRefund)
                    .invoke(metrics::recorded)
                    .replaceWithVoid();
        });
    }

    /**
     * {@code POST /internal/refunds}: gives back exactly what {@code chargeReference} charged, as
     * {@code refund:<chargeReference>} — the reference the listener uses too, so the two paths refund a
     * charge at most once between them. 404 when the reseller has no such charge (or it belongs to another
     * order); a replay of this endpoint's own refund is {@code replayed}; a refund the listener made is 409.
     */
    public Uni<Posting> refundCharge(long resellerId, long orderId, String chargeReference, String reason) {
        return sessionFactory.withTransaction(session -> ledger.findEntry(session, resellerId, chargeReference)
                        .chain(charge -> {
                            if (charge == null || charge.kind() != EntryKind.CHARGE
                                    || (charge.orderId() != null && charge.orderId() != orderId)) {
                                return Uni.createFrom().failure(ApiException.notFound(CHARGE_NOT_FOUND));
                            }
                            Movement refund = Movement.refund(resellerId, References.refundOf(chargeReference),
                                    charge.amount().negate(), reason, orderId, Origin.REFUND_API);
                            return ledger.post(session, refund);
                        })
                        .invoke(refund -> {
                            if (refund.replayed() && refund.origin() != Origin.REFUND_API) {
                                throw ApiException.conflict(ALREADY_REFUNDED_ELSEWHERE);
                            }
                        }))
                .invoke(this::logRefund)
                .invoke(metrics::recorded)
                .onFailure().invoke(failure -> metrics.refused(EntryKind.REFUND, failure));
    }

    private void logRefund(Posting refund) {
        if (refund.replayed()) {
            LOG.infof("%s was already refunded", refund.reference());
        } else {
            LOG.infof("Refunded %s USD as %s, balance %s", refund.amount(), refund.reference(), refund.balance());
        }
    }
}
