package com.proxyvault.billing.topups;

import com.proxyvault.billing.ledger.EntryKind;
import com.proxyvault.billing.ledger.Ledger;
import com.proxyvault.billing.ledger.LedgerMetrics;
import com.proxyvault.billing.ledger.Movement;
import com.proxyvault.billing.ledger.Posting;
import com.proxyvault.billing.ledger.References;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.hibernate.reactive.mutiny.Mutiny;

import java.math.BigDecimal;

/** Credits a reseller's balance on an operator's request, once per reference. */
@ApplicationScoped
public class TopupService {

    private final Mutiny.SessionFactory sessionFactory;
    private final Ledger ledger;
    private final LedgerMetrics metrics;

    public TopupService(Mutiny.SessionFactory sessionFactory, Ledger ledger, LedgerMetrics metrics) {
        this.sessionFactory = sessionFactory;
        this.ledger = ledger;
        this.metrics = metrics;
    }

    /** {@code reference} as the operator gave it; it is stored as {@code topup:<reference>}. */
    public Uni<Posting> topUp(long resellerId, String reference, BigDecimal amount) {
        return sessionFactory.withTransaction(session ->
                        ledger.post(session, Movement.topup(resellerId, References.topup(reference), amount)))
                .invoke(metrics::recorded)
                .onFailure().invoke(failure -> metrics.refused(EntryKind.TOPUP, failure));
    }
}
