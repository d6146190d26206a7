package com.proxyvault.billing.ledger;

import com.proxyvault.platform.http.ApiException;
import com.proxyvault.platform.outbox.Outbox;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import org.hibernate.reactive.mutiny.Mutiny;

import java.math.BigDecimal;

/**
 * The only code that moves money. {@link #post} runs inside the caller's transaction as one call of the
 * database function {@code ledger_post} (migration V5), one round trip whatever the length of the history:
 * <ol>
 *   <li>lock the reseller's account row ({@code for update}; created first if missing, {@code on conflict do
 *       nothing} so concurrent first postings agree on one row): every posting for this reseller now waits
 *       for ours, so the balance read stays true until we commit;</li>
 *   <li>if the reference is already in the ledger, answer with that entry (same kind and amount) or refuse
 *       (different amount) — this is what makes retries safe;</li>
 *   <li>refuse a debit the balance cannot cover, and a credit past {@code numeric(14,2)};</li>
 *   <li>append the entry (the database numbers it {@code last_seq + 1} and checks
 *       {@code balance_after = balance + amount}) and move the account onto it (balance, last_seq).</li>
 * </ol>
 * A refusal is thrown as an {@link ApiException} (402, 409, 422); the function has written nothing then but,
 * at most, the empty account row. The schema checks the same rules again on every row the function writes
 * (non-negative balance, unique reference, each entry continuing its account: V3's triggers). Why a
 * function rather than five statements: bench/pay measured the statements at 0.2-0.37x a minimal debit's
 * throughput and the same work in one call at 0.73x (docs/benchmarks.md, "bench/pay"; docs/money.md).
 */
@ApplicationScoped
public class Ledger {

    public static final String INSUFFICIENT_BALANCE = "Insufficient balance";
    public static final String REFERENCE_REUSED = "Reference already used with a different amount";
    public static final String REFERENCE_OTHER_ORDER = "Reference already used for another order";
    /** An adjustment's reference replayed with another reason (AdjustmentService; docs/money.md "References"). */
    public static final String REFERENCE_OTHER_REASON = "Reference already used with a different reason";

    /**
     * Posts {@code movement} in the session's transaction: the new {@link Posting}, or the earlier one
     * ({@code replayed}) when its reference was posted before with the same kind and amount. Fails with 402
     * (debit larger than the balance), 409 (reference used with another amount or order) or 422 (the balance
     * would pass {@link Money#MAX}).
     */
    public Uni<Posting> post(Mutiny.Session session, Movement movement) {
        return session.createNativeQuery("""
                        select outcome, entry_kind, entry_amount, entry_order_id, entry_origin, balance
                        from ledger_post(:resellerId, :kind, :amount, :reference, cast(:description as text),
                                         cast(:orderId as bigint), :origin, :maxBalance)""", Object[].class)
                .setParameter("resellerId", movement.resellerId())
                .setParameter("kind", movement.kind().dbValue())
                .setParameter("amount", movement.amount())
                .setParameter("reference", movement.reference())
                .setParameter("description", movement.description())
                .setParameter("orderId", movement.orderId())
                .setParameter("origin", movement.origin().dbValue())
                .setParameter("maxBalance", Money.MAX)
                .getSingleResult()
                .map(row -> outcome(movement, row));
    }

    /**
     * {@link #post} and, only when it posts (not for a replay or a refusal), its announcement, as one
     * autocommit statement on the Vert.x Pool: one round trip where a Hibernate transaction took four (BEGIN,
     * the call, the outbox insert, COMMIT; docs/benchmarks.md "bench/pay"). The announcement's payload is
     * written by the caller with a placeholder for {@code data.balance}, which only the posting knows:
     * the statement sets it to the balance after, as a string with two decimals ({@code jsonb_set}; the
     * payload's keys may come out in another order, which no JSON reader minds; {@code $12::text::jsonb}: the
     * Pool would send a String bound to a jsonb parameter as a JSON string, not parse it). For debits only:
     * the function is called only for a reseller that has an account (lateral on the account row), because
     * a debit of a reseller without one is refused anyway and an autocommit statement would keep the empty
     * account row the function creates; no row back = 402. Same outcomes and refusals as
     * {@link #post}; a refusal has written nothing but, at most, the empty account row.
     */
    private static final String POST_ANNOUNCED = """
            with post as (
                select p.outcome, p.entry_kind, p.entry_amount, p.entry_order_id, p.entry_origin, p.balance
                from accounts a
                cross join lateral ledger_post(a.reseller_id, $2, $3, $4, $5::text, $6::bigint, $7, $8) p
                where a.reseller_id = $1),
            announced as (
                insert into outbox_events (id, topic, message_key, payload, traceparent)
                select $9::uuid, $10::text, $11::text,
                       jsonb_set($12::text::jsonb, '{data,balance}', to_jsonb(round(post.balance, 2)::text))::text, $13::text
                from post where post.outcome = 'posted')
            select outcome, entry_kind, entry_amount, entry_order_id, entry_origin, balance from post""";

    /** See {@link #POST_ANNOUNCED}: {@code announcement} goes to the outbox exactly when the money moved. */
    public Uni<Posting> postAnnounced(Pool pool, Movement movement, Outbox.Row announcement) {
        if (movement.amount().signum() >= 0) {
            throw new IllegalArgumentException("postAnnounced posts debits only: " + movement.kind());
        }
        return pool.preparedQuery(POST_ANNOUNCED)
                .execute(Tuple.tuple(java.util.Arrays.asList(movement.resellerId(), movement.kind().dbValue(),
                        movement.amount(), movement.reference(), movement.description(), movement.orderId(),
                        movement.origin().dbValue(), Money.MAX, announcement.id(), announcement.topic(),
                        announcement.key(), announcement.payload(), announcement.traceparent())))
                .map(rows -> {
                    if (!rows.iterator().hasNext()) {
                        throw ApiException.paymentRequired(INSUFFICIENT_BALANCE); // no account: no money
                    }
                    io.vertx.mutiny.sqlclient.Row row = rows.iterator().next();
                    return outcome(movement, new Object[]{row.getString(0), row.getString(1), row.getBigDecimal(2),
                            row.getLong(3), row.getString(4), row.getBigDecimal(5)});
                });
    }

    private static Posting outcome(Movement movement, Object[] row) {
        BigDecimal balance = (BigDecimal) row[5];
        switch ((String) row[0]) {
            case "posted":
                return new Posting(movement.reference(), movement.kind(), Money.normalize(movement.amount()),
                        Money.normalize(balance), false, movement.origin());
            case "replayed":
                return replay(movement, new PostedEntry(
                        EntryKind.valueOf(((String) row[1]).toUpperCase(java.util.Locale.ROOT)),
                        (BigDecimal) row[2],
                        row[3] == null ? null : ((Number) row[3]).longValue(),
                        Origin.fromDb((String) row[4])), balance);
            case "insufficient":
                throw ApiException.paymentRequired(INSUFFICIENT_BALANCE);
            case "too_large":
                // numeric(14,2) would overflow: refused cleanly instead of letting the database fail the write
                throw ApiException.unprocessable("The balance would exceed " + Money.MAX + " " + Money.CURRENCY);
            default:
                throw new IllegalStateException("ledger_post answered " + row[0]);
        }
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

    /**
     * The description stored with the entry {@code reference} (an adjustment's reason, a refund's reason, a
     * charge's text), or null when the entry has none or there is no such entry; one unique-index read. Entries are
     * immutable, so what this reads after a replay in the same transaction is what the replay found.
     */
    public Uni<String> findDescription(Mutiny.Session session, long resellerId, String reference) {
        return session.createNativeQuery("""
                        select description from ledger_entries
                        where reseller_id = :resellerId and reference = :reference""", String.class)
                .setParameter("resellerId", resellerId)
                .setParameter("reference", reference)
                .getSingleResultOrNull();
    }

    /**
     * The reference was posted before: same kind, amount (and order, when both name one) → the earlier entry
     * stands; otherwise a conflict.
     */
    private static Posting replay(Movement movement, PostedEntry posted, BigDecimal balance) {
        if (posted.kind() != movement.kind() || posted.amount().compareTo(movement.amount()) != 0) {
            throw ApiException.conflict(REFERENCE_REUSED);
        }
        if (movement.orderId() != null && posted.orderId() != null && !movement.orderId().equals(posted.orderId())) {
            throw ApiException.conflict(REFERENCE_OTHER_ORDER);
        }
        return new Posting(movement.reference(), movement.kind(), Money.normalize(posted.amount()),
                Money.normalize(balance), true, posted.origin());
    }
}
