package com.proxyvault.billing.charges;

import com.proxyvault.billing.ledger.EntryKind;
import com.proxyvault.billing.ledger.Ledger;
import com.proxyvault.billing.ledger.LedgerMetrics;
import com.proxyvault.billing.ledger.Movement;
import com.proxyvault.billing.ledger.Posting;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.hibernate.reactive.mutiny.Mutiny;

import java.math.BigDecimal;

/** Debits a reseller for an order: one transaction, idempotent on the reference. */
@ApplicationScoped
public class ChargeService {

    private final Mutiny.SessionFactory sessionFactory;
    private final Ledger ledger;
    private final LedgerMetrics metrics;

    public ChargeService(Mutiny.SessionFactory sessionFactory, Ledger ledger, LedgerMetrics metrics) {
        this.sessionFactory = sessionFactory;
        this.ledger = ledger;
        this.metrics = metrics;
    }

    /**
     * Fails with 402 "Insufficient balance" (nothing written) or 409 when the reference was used for another
     * amount; a repeated reference with the same amount returns the earlier charge as {@code replayed}.
     */
    public Uni<Posting> charge(long resellerId, String reference, BigDecimal amount, String description) {
        return sessionFactory.withTransaction(session ->
                        ledger.post(session, Movement.charge(resellerId, reference, amount, description)))
                .invoke(metrics::recorded)
                .onFailure().invoke(failure -> metrics.refused(EntryKind.CHARGE, failure));
    }
}
