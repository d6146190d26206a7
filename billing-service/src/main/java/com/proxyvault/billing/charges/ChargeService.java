package com.proxyvault.billing.charges;

import com.proxyvault.billing.ledger.EntryKind;
import com.proxyvault.billing.ledger.Ledger;
import com.proxyvault.billing.ledger.LedgerMetrics;
import com.proxyvault.billing.ledger.Movement;
import com.proxyvault.billing.ledger.Posting;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.proxyvault.contracts.events.ChargePosted;
import com.proxyvault.contracts.events.ChargeRefused;
import com.proxyvault.contracts.events.ChargeRequested;
import com.proxyvault.contracts.events.EventEnvelope;
import com.proxyvault.contracts.events.EventTypes;
import com.proxyvault.platform.http.ApiException;
import com.proxyvault.platform.outbox.Outbox;
import com.proxyvault.platform.time.ClockProducer;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;
import org.hibernate.reactive.mutiny.Mutiny;

import java.math.BigDecimal;
import java.time.Clock;

/** Debits a reseller for an order: one transaction, idempotent on the reference, announced as charge.posted. */
@ApplicationScoped
public class ChargeService {

    private final Mutiny.SessionFactory sessionFactory;
    private final Ledger ledger;
    private final LedgerMetrics metrics;
    private final ObjectMapper mapper;
    private final Clock clock;
    private final Pool pool;

    public ChargeService(Mutiny.SessionFactory sessionFactory, Ledger ledger, LedgerMetrics metrics, ObjectMapper mapper,
                         Clock clock, Pool pool) {
        this.pool = pool;
        this.sessionFactory = sessionFactory;
        this.ledger = ledger;
        this.metrics = metrics;
        this.mapper = mapper;
        this.clock = clock;
    }

    /** charge.posted commits with the ledger entry: announced exactly when the money moved. */
    private Uni<Void> announce(Mutiny.Session session, long resellerId, Posting posting) {
        return Outbox.append(session, mapper, EventEnvelope.of(EventTypes.CHARGE_POSTED, resellerId,
                new ChargePosted(posting.reference(), posting.magnitude(), posting.balance(), ClockProducer.utcNow(clock)), clock));
    }

    /**
     * Fails with 402 "Insufficient balance" (nothing written) or 409 when the reference was used for another
     * amount; a repeated reference with the same amount returns the earlier charge as {@code replayed}.
     * The posting and its {@code charge.posted} are one statement on the Pool ({@link Ledger#postAnnounced});
     * the consumer path ({@link #chargeRequested}) posts through its session as {@link #post}.
     */
    public Uni<Posting> charge(long resellerId, String reference, BigDecimal amount, String description, Long orderId) {
        Movement movement = Movement.charge(resellerId, reference, amount, description, orderId);
        // The balance after is the posting's: Ledger.postAnnounced sets it in the same statement.
        var announcement = Outbox.row(mapper, EventEnvelope.of(EventTypes.CHARGE_POSTED, resellerId,
                new ChargePosted(reference, com.proxyvault.billing.ledger.Money.normalize(amount), null,
                        ClockProducer.utcNow(clock)), clock));
        return ledger.postAnnounced(pool, movement, announcement)
                .invoke(metrics::recorded)
                .onFailure().invoke(failure -> metrics.refused(EntryKind.CHARGE, failure));
    }

    /** The charge and its {@code charge.posted} in the caller's transaction; the refusals of {@link #charge}. */
    Uni<Posting> post(Mutiny.Session session, long resellerId, String reference, BigDecimal amount, String description,
                      Long orderId) {
        return ledger.post(session, Movement.charge(resellerId, reference, amount, description, orderId))
                .call(posting -> posting.replayed() ? Uni.createFrom().voidItem() : announce(session, resellerId, posting));
    }

    /**
     * In the {@code charge.requested} consumer's transaction (order-service's auto-renewals): posts the charge
     * as {@link #charge} would, or, when billing refuses it (402 insufficient balance, 409 the reference clashes),
     * announces {@code charge.refused} instead and moves nothing. The ledger checks the balance before it
     * writes, so a refusal leaves the transaction usable. Any other failure fails the effect (retried, then
     * parked).
     */
    public Uni<Void> chargeRequested(Mutiny.Session session, EventEnvelope<ChargeRequested> event) {
        ChargeRequested request = event.data();
        long resellerId = event.resellerId();
        return post(session, resellerId, request.reference(), request.amount(), request.description(), request.orderId())
                .invoke(metrics::recorded)
                .replaceWithVoid()
                .onFailure(ApiException.class).recoverWithUni(failure -> {
                    int status = ((ApiException) failure).status();
                    if (status != 402 && status != 409) {
                        return Uni.createFrom().failure(failure);
                    }
                    metrics.refused(EntryKind.CHARGE, failure);
                    String reason = status == 402 ? ChargeRefused.INSUFFICIENT_BALANCE : ChargeRefused.REFERENCE_CONFLICT;
                    return Outbox.append(session, mapper, EventEnvelope.of(EventTypes.CHARGE_REFUSED, resellerId,
                            new ChargeRefused(request.orderId(), request.reference(), request.amount(), reason), clock));
                });
    }
}
