package com.proxyvault.billing.refunds;

import com.proxyvault.billing.ledger.EntryKind;
import com.proxyvault.billing.ledger.Ledger;
import com.proxyvault.billing.ledger.LedgerMetrics;
import com.proxyvault.billing.ledger.Movement;
import com.proxyvault.platform.events.Refusal;
import com.proxyvault.billing.ledger.Origin;
import com.proxyvault.billing.ledger.Posting;
import com.proxyvault.billing.ledger.References;
import com.proxyvault.contracts.events.EventEnvelope;
import com.proxyvault.contracts.events.OrderFailed;
import com.proxyvault.platform.http.ApiException;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.hibernate.reactive.mutiny.Mutiny;
import org.jboss.logging.Logger;

import java.math.BigDecimal;

/**
 * Posts refunds; never decides them. order-service owns the order and its money: when an order fails it
 * announces {@code order.failed} with the charge to give back ({@code charge_reference}) and how much
 * ({@code refunded_amount}), and {@link #refundFailedOrder} posts exactly that — after checking it against the
 * ledger: the charge must be the event's reseller's, belong to that order and be of exactly that amount,
 * or nothing moves and the event is parked (an operator looks at it). Exactly once, twice over: the
 * consumer template records the event id in {@code processed_events} in the same transaction, and the
 * refund's reference {@code refund:<charge reference>} is unique in the ledger — shared with
 * {@code POST /internal/refunds} and with the old {@code proxy.provision_failed} listener's refunds, so a
 * charge is refunded at most once whichever path gets there first.
 */
@ApplicationScoped
public class RefundService {

    static final String HANDLER = "refund-failed-order";
    private static final Logger LOG = Logger.getLogger(RefundService.class);

    static final String CHARGE_NOT_FOUND = "Charge not found";
    static final String ALREADY_REFUNDED_ELSEWHERE = "Charge already refunded by another path (order.failed)";

    private final Mutiny.SessionFactory sessionFactory;
    private final Ledger ledger;
    private final LedgerMetrics metrics;

    public RefundService(Mutiny.SessionFactory sessionFactory, Ledger ledger, LedgerMetrics metrics) {
        this.sessionFactory = sessionFactory;
        this.ledger = ledger;
        this.metrics = metrics;
    }

    /**
     * In the consumer's transaction (which also records the event as processed). No charge reference or
     * nothing to give back ("0.00": the order was never charged) → nothing to do. Otherwise the refund of
     * exactly {@code refunded_amount} for {@code charge_reference}; a {@link RefundRefused} (the ledger does
     * not hold that charge of that amount for that order and reseller) fails the effect, so the template
     * retries and parks it, and no money moves.
     */
    public Uni<Void> refundFailedOrder(Mutiny.Session session, EventEnvelope<OrderFailed> event) {
        OrderFailed failure = event.data();
        BigDecimal amount = failure.refundedAmount();
        if (failure.chargeReference() == null || amount == null || amount.signum() <= 0) {
            if (amount != null && amount.signum() > 0) {
                // Written before order.failed named its charge: billing's proxy.provision_failed listener
                // refunded those orders itself (same reference), so there is nothing left to do.
                LOG.warnf("order.failed %s of order %d names no charge (an event from before charge_reference):"
                        + " not refunding %s", event.id(), failure.orderId(), amount);
            } else {
                LOG.infof("Order %d of reseller %d failed with nothing to refund", failure.orderId(), event.resellerId());
            }
            return Uni.createFrom().voidItem();
        }
        long resellerId = event.resellerId();
        String chargeReference = failure.chargeReference();
        return ledger.findEntry(session, resellerId, chargeReference).chain(charge -> {
            if (charge == null || charge.kind() != EntryKind.CHARGE) {
                return refused(event, "reseller " + resellerId + " has no charge " + chargeReference);
            }
            if (charge.orderId() != null && charge.orderId() != failure.orderId()) {
                return refused(event, "charge " + chargeReference + " belongs to order " + charge.orderId()
                        + ", not " + failure.orderId());
            }
            if (charge.amount().negate().compareTo(amount) != 0) {
                return refused(event, "refunded_amount " + amount + " is not the " + charge.amount().negate()
                        + " charged as " + chargeReference);
            }
            Movement refund = Movement.refund(resellerId, References.refundOf(chargeReference),
                    charge.amount().negate(), "Order failed: " + failure.reason(), failure.orderId(), Origin.ORDER_FAILED);
            return ledger.post(session, refund)
                    .invoke(this::logRefund)
                    .invoke(metrics::recorded)
                    .replaceWithVoid();
        });
    }

    private static Uni<Void> refused(EventEnvelope<OrderFailed> event, String why) {
        LOG.errorf("Not refunding order.failed %s (order %d): %s", event.id(), event.data().orderId(), why);
        return Uni.createFrom().failure(new RefundRefused("Refund refused, no money moved: " + why));
    }

    /**
     * order.failed asks for a refund the ledger does not back; nothing is posted, and the event is parked after one
     * retry ({@link Refusal}: a retry meets the same ledger), not after the whole back-off.
     */
    public static final class RefundRefused extends IllegalStateException implements Refusal {
        RefundRefused(String message) {
            super(message);
        }
    }

    /**
     * {@code POST /internal/refunds}: gives back exactly what {@code chargeReference} charged, as
     * {@code refund:<chargeReference>} — the reference the {@code order.failed} listener uses too, so the
     * paths refund a charge at most once between them. 404 when the reseller has no such charge (or it belongs
     * to another order); a replay of this endpoint's own refund is {@code replayed}; a refund another path made
     * is 409.
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
