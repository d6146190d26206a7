package com.proxyvault.billing.adjustments;

import com.proxyvault.billing.ledger.EntryKind;
import com.proxyvault.billing.ledger.Ledger;
import com.proxyvault.billing.ledger.LedgerMetrics;
import com.proxyvault.billing.ledger.Movement;
import com.proxyvault.billing.ledger.Posting;
import com.proxyvault.billing.ledger.References;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.hibernate.reactive.mutiny.Mutiny;
import org.jboss.logging.Logger;

import java.math.BigDecimal;

/**
 * An operator's correction: a new entry of either sign (entries are never edited), once per reference, never
 * taking the balance below zero (402).
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

    /** {@code reference} as the operator gave it; stored as {@code adjustment:<reference>}. */
    public Uni<Posting> adjust(long resellerId, String reference, BigDecimal signedAmount, String reason) {
        return sessionFactory.withTransaction(session -> ledger.post(session,
                        Movement.adjustment(resellerId, References.adjustment(reference), signedAmount, reason)))
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
