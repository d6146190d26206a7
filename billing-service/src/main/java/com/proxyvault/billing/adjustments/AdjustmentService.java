package com.proxyvault.billing.adjustments;

import com.proxyvault.billing.ledger.EntryKind;
import com.proxyvault.billing.ledger.Ledger;
import com.proxyvault.billing.ledger.LedgerMetrics;
import com.proxyvault.billing.ledger.Movement;
import com.proxyvault.billing.ledger.Posting;
import com.proxyvault.billing.ledger.References;
import com.proxyvault.platform.http.ApiException;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.hibernate.reactive.mutiny.Mutiny;
import org.jboss.logging.Logger;

import java.math.BigDecimal;

/**
 * An operator's correction: a new entry of either sign (entries are never edited), once per reference, never
 * taking the balance below zero (402). The reference is the idempotency key of the whole request: the same
 * reference with the same amount and reason is the earlier entry (a replay), with another amount or another
 * reason a 409 {@code conflict} whose detail names what differs (TigerBeetle's {@code exists_with_different_*};
 * docs/money.md "References").
 */
@ApplicationScoped
public class AdjustmentService {

    private static final Logger LOG = Logger.getLogger(AdjustmentService.class);

    private final Mutiny.SessionFactory sessionFactory;
    private final Ledger ledger;
    private final LedgerMetrics metrics;

    public AdjustmentService(Mutiny.SessionFactory sessionFactory, Ledger ledger, LedgerMetrics metrics) {
        this.sessionFactory = sessionFactory;
        this.ledger = ledger;
        this.metrics = metrics;
    }

    /**
     * Posts {@code signedAmount} (scale 2, non-zero) with {@code reason} (stored as the entry's description) under
     * {@code reference} as the operator gave it, stored as {@code adjustment:<reference>}. The new posting, or the
     * earlier one ({@code replayed}) when the reference was posted with this amount and exactly this reason. Fails
     * with 402 (a debit below zero), 409 {@link Ledger#REFERENCE_REUSED} (another amount: checked first, it is the
     * money) or {@link Ledger#REFERENCE_OTHER_REASON} (same amount, another reason), 422 (balance past the maximum);
     * a refusal writes nothing.
     */
    public Uni<Posting> adjust(long resellerId, String reference, BigDecimal signedAmount, String reason) {
        String stored = References.adjustment(reference);
        return sessionFactory.withTransaction(session -> ledger.post(session,
                                Movement.adjustment(resellerId, stored, signedAmount, reason))
                        // A replay answered 200 with the old entry even when the reason differed, so the operator was
                        // never told the new reason was dropped (operator review, finding 1): the reason is part of the
                        // request the reference stands for, as the amount is. Read after the replay, in its transaction:
                        // the entry is immutable, so it is the one the replay found.
                        .call(posting -> posting.replayed()
                                ? ledger.findDescription(session, resellerId, stored).invoke(earlier -> {
                                    if (!reason.equals(earlier)) {
                                        throw ApiException.conflict(Ledger.REFERENCE_OTHER_REASON);
                                    }
                                })
                                : Uni.createFrom().voidItem()))
                .invoke(posting -> {
                    if (!posting.replayed()) {
                        LOG.infof("Adjusted reseller %d by %s USD as %s (%s), balance %s", resellerId, posting.amount(),
                                posting.reference(), reason, posting.balance());
                    }
                })
                .invoke(metrics::recorded)
                .onFailure().invoke(failure -> metrics.refused(EntryKind.ADJUSTMENT, failure));
    }
}
