package com.proxyvault.billing.ledger;

import com.proxyvault.platform.http.ApiException;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.hibernate.reactive.mutiny.Mutiny;

import java.math.BigDecimal;

/**
 * The only code that moves money. {@link #post} runs inside the caller's transaction and is written as
 * plain SQL so the atomicity argument can be read off it:
 * <ol>
 *   <li>create the account row if missing ({@code on conflict do nothing}: concurrent first postings
 *       agree on one row);</li>
 *   <li>lock it ({@code for update}): every posting for this reseller now waits for ours, so the balance
 *       we read stays true until we commit;</li>
 *   <li>if the reference is already in the ledger, answer with that entry (same amount) or refuse
 *       (different amount) — this is what makes retries safe;</li>
 *   <li>refuse a debit the balance cannot cover;</li>
 *   <li>append the entry (the database numbers it {@code last_seq + 1} and checks
 *       {@code balance_after = balance + amount}) and move the account onto it (balance, last_seq).</li>
 * </ol>
 * Three statements and two index reads whatever the length of the history (docs/money.md).
 * A refusal is thrown as an {@link ApiException}, which rolls the whole transaction back, so nothing
 * (not even the freshly created account row) is left behind. The schema checks the same rules again
 * (non-negative balance, unique reference, each entry continuing its account, V3 migration).
 */
@ApplicationScoped
public class Ledger {

    public static final String INSUFFICIENT_BALANCE = "Insufficient balance";
    public static final String REFERENCE_REUSED = "Reference already used with a different amount";
    public static final String REFERENCE_OTHER_ORDER = "Reference already used for another order";

    public Uni<Posting> post(Mutiny.Session session, Movement movement) {
        return createAccountIfMissing(session, movement.resellerId())
                .chain(() -> lockBalance(session, movement.resellerId()))
                .chain(balance -> findEntry(session, movement.resellerId(), movement.reference())
                        .chain(posted -> posted != null
                                ? Uni.createFrom().item(() -> replay(movement, posted, balance))
                                : apply(session, movement, balance)));
    }

    /** The signed amount posted under {@code reference}, or null when there is none. */
    public Uni<BigDecimal> findAmount(Mutiny.Session session, long resellerId, String reference) {
        return findEntry(session, resellerId, reference).map(entry -> entry == null ? null : entry.amount());
    }

    /** The entry posted under {@code reference}, or null when there is none (one unique-index read). */
    public Uni<PostedEntry> findEntry(Mutiny.Session session, long resellerId, String reference) {
        return session.createNativeQuery("""
                        select kind, amount, order_id, origin from ledger_entries
                        where reseller_id = :resellerId and reference = :reference""", Object[].class)
                .setParameter("resellerId", resellerId)
                .setParameter("reference", reference)
                .getSingleResultOrNull()
                .map(row -> row == null ? null : new PostedEntry(
                        EntryKind.valueOf(((String) row[0]).toUpperCase(java.util.Locale.ROOT)),
                        (BigDecimal) row[1],
                        row[2] == null ? null : ((Number) row[2]).longValue(),
                        Origin.fromDb((String) row[3])));
    }

    private Uni<Integer> createAccountIfMissing(Mutiny.Session session, long resellerId) {
        return session.createNativeQuery("insert into accounts (reseller_id) values (:resellerId) on conflict do nothing")
                .setParameter("resellerId", resellerId)
                .executeUpdate();
    }

    private Uni<BigDecimal> lockBalance(Mutiny.Session session, long resellerId) {
        return session.createNativeQuery("select balance from accounts where reseller_id = :resellerId for update",
                        BigDecimal.class)
                .setParameter("resellerId", resellerId)
                .getSingleResult();
    }

    /**
     * The reference was posted before: same kind, amount (and order, when both name one) → the earlier entry
     * stands; otherwise a conflict.
     */
    private Posting replay(Movement movement, PostedEntry posted, BigDecimal balance) {
        if (posted.kind() != movement.kind() || posted.amount().compareTo(movement.amount()) != 0) {
            throw ApiException.conflict(REFERENCE_REUSED);
        }
        if (movement.orderId() != null && posted.orderId() != null && !movement.orderId().equals(posted.orderId())) {
            throw ApiException.conflict(REFERENCE_OTHER_ORDER);
        }
        return new Posting(movement.reference(), movement.kind(), Money.normalize(posted.amount()),
                Money.normalize(balance), true, posted.origin());
    }

    /** One entry (its seq is assigned by the database: last_seq + 1) and the account moved onto it. */
    private Uni<Posting> apply(Mutiny.Session session, Movement movement, BigDecimal balance) {
        BigDecimal balanceAfter = balance.add(movement.amount());
        if (balanceAfter.signum() < 0) {
            return Uni.createFrom().failure(ApiException.paymentRequired(INSUFFICIENT_BALANCE));
        }
        if (balanceAfter.compareTo(Money.MAX) > 0) {
            // numeric(14,2) would overflow: refuse cleanly instead of letting the database fail the write
            return Uni.createFrom().failure(ApiException.unprocessable("The balance would exceed " + Money.MAX + " " + Money.CURRENCY));
        }
        return session.createNativeQuery("""
                        insert into ledger_entries (reseller_id, kind, amount, balance_after, reference, description,
                                                    order_id, origin)
                        values (:resellerId, :kind, :amount, :balanceAfter, :reference, cast(:description as text),
                                cast(:orderId as bigint), :origin)""")
                .setParameter("resellerId", movement.resellerId())
                .setParameter("kind", movement.kind().dbValue())
                .setParameter("amount", movement.amount())
                .setParameter("balanceAfter", balanceAfter)
                .setParameter("reference", movement.reference())
                .setParameter("description", movement.description())
                .setParameter("orderId", movement.orderId())
                .setParameter("origin", movement.origin().dbValue())
                .executeUpdate()
                .chain(() -> session.createNativeQuery("""
                                update accounts set balance = :balance, last_seq = last_seq + 1,
                                                    updated_at = (now() at time zone 'utc')
                                where reseller_id = :resellerId""")
                        .setParameter("balance", balanceAfter)
                        .setParameter("resellerId", movement.resellerId())
                        .executeUpdate())
                .map(updated -> new Posting(movement.reference(), movement.kind(), Money.normalize(movement.amount()),
                        Money.normalize(balanceAfter), false, movement.origin()));
    }
}
