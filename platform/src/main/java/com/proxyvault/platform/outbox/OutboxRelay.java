package com.proxyvault.platform.outbox;

import com.proxyvault.platform.tracing.TraceParents;
import io.opentelemetry.context.Context;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.TracingMetadata;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * The read side of the outbox: claim, send, then mark. No database transaction is open while Kafka
 * acknowledges (the rule: "claim rows, send, then mark").
 *
 * <ol>
 *   <li><b>Claim</b> (one autocommit call of the {@code outbox_claim} function, one round trip):
 *       unpublished rows get a lease ({@code claimed_until}), in {@code seq} order, skipping every row
 *       whose partition key still has an earlier row under another live lease. A transaction-scoped
 *       advisory lock, taken inside the call, serialises claims, so two replicas never claim the
 *       same row, and the events of one key (one reseller, hence one aggregate) are never in flight on two
 *       replicas at once: their publication order is their commit order.</li>
 *   <li><b>Send</b> every claimed row in {@code seq} order through the {@code outbox} channel
 *       ({@code acks=all}, idempotent producer: order kept per partition).</li>
 *   <li><b>Mark</b> per key: the acknowledged rows before the key's first failed send are published;
 *       the failed row and the later rows of its key are released for the next round (the later ones
 *       may then go out twice: consumers deduplicate on the event id). Mark and release only touch rows
 *       still under this round's claim token. A relay that dies mid-way leaves leases that run out.</li>
 * </ol>
 * A row whose record Kafka refuses {@code maxRefusals} times (default 10) (too large, topic refused: not a retriable
 * error, so a Kafka outage never counts) is set aside with {@code failed_at} and logged as an error, so it cannot hold its key's later
 * events back for ever; it stays in the table (never lost) and an operator re-arms it by setting
 * {@code failed_at} back to null.
 * Each round takes up to {@code claimSize} rows and {@link #drain()} repeats rounds until the outbox is
 * empty, so there is no per-tick ceiling. Table DDL: {@code docs/events.md}.
 */
public final class OutboxRelay {

    private static final Logger LOG = Logger.getLogger(OutboxRelay.class);
    /** Any constant works: each service has its own database. */
    private static final long CLAIM_LOCK_ID = 0x0b0c_5e1aL;


    /**
     * The claim lock and the lease in one autocommit call of {@code outbox_claim} (platform's
     * {@code R__platform_outbox.sql}): one round trip where BEGIN, the lock, the update and COMMIT took four.
     */
    private static final String CLAIM = """
            select seq, topic, message_key, payload, traceparent from outbox_claim($1, $2, $3, $4)""";

    private final Pool pool;
    private final MutinyEmitter<String> emitter;
    private final String topicPrefix;
    private final int claimSize;
    private final Duration lease;
    private final int maxRefusals;

    /**
     * @param topicPrefix prepended to the event type to name the topic ("" in the stack, random in tests)
     * @param claimSize   rows per round (a round trip size, not a ceiling: {@link #drain()} loops)
     * @param lease       how long a claim keeps other relays off a row; longer than a send can take
     *                    (the channel's {@code delivery.timeout.ms})
     * @param maxRefusals  how often Kafka may refuse one record before the row is set aside
     */
    public OutboxRelay(Pool pool, MutinyEmitter<String> emitter, String topicPrefix, int claimSize, Duration lease,
                       int maxRefusals) {
        this.maxRefusals = maxRefusals;
        this.pool = pool;
        this.emitter = emitter;
        this.topicPrefix = topicPrefix == null ? "" : topicPrefix;
        this.claimSize = claimSize;
        this.lease = lease;
    }

    /** Publishes rounds until a round finds less than a full claim; returns how many events went out. */
    public Uni<Integer> drain() {
        return publishRound()
                .repeat().whilst(published -> published == claimSize)
                .collect().with(java.util.stream.Collectors.summingInt(Integer::intValue));
    }

    /** One claim-send-mark round; returns how many events were published. */
    public Uni<Integer> publishRound() {
        return claim().chain(round -> round.rows().isEmpty() ? Uni.createFrom().item(0) : sendAndMark(round));
    }

    private Uni<Round> claim() {
        UUID token = UUID.randomUUID();
        return pool.preparedQuery(CLAIM).execute(Tuple.of(CLAIM_LOCK_ID, lease.toMillis() / 1000.0, claimSize, token))
                .map(rows -> {
                    List<Claimed> claimed = new ArrayList<>(rows.size());
                    for (Row row : rows) {
                        claimed.add(new Claimed(row.getLong("seq"), row.getString("topic"), row.getString("message_key"),
                                row.getString("payload"), row.getString("traceparent")));
                    }
                    // RETURNING has no order; the sends must go out in commit order.
                    claimed.sort(Comparator.comparingLong(Claimed::seq));
                    return new Round(token, claimed);
                });
    }

    private Uni<Integer> sendAndMark(Round round) {
        List<Claimed> rows = round.rows();
        // Issued in seq order; the idempotent producer keeps that order within each partition. Each ack
        // becomes an outcome, so one bad record does not sink the round.
        List<Uni<Outcome>> acks = new ArrayList<>(rows.size());
        for (Claimed row : rows) {
            acks.add(Uni.createFrom().deferred(() -> emitter.sendMessage(toMessage(row)))
                    .onItemOrFailure().transform((ok, failure) -> {
                        if (failure == null) {
                            return Outcome.SENT;
                        }
                        LOG.warnf("Publishing outbox event %d (%s) failed: %s", row.seq(), row.topic(), failure.toString());
                        return retriable(failure) ? Outcome.KAFKA_UNAVAILABLE : Outcome.REFUSED;
                    }));
        }
        return Uni.join().all(acks).andFailFast().chain(outcomes -> {
            List<Long> published = new ArrayList<>();
            List<Long> refused = new ArrayList<>();
            List<Long> released = new ArrayList<>();
            Set<String> blockedKeys = new HashSet<>();
            for (int i = 0; i < rows.size(); i++) {
                Claimed row = rows.get(i);
                Outcome outcome = outcomes.get(i);
                if (blockedKeys.contains(row.key())) {
                    released.add(row.seq()); // behind a failed event of its key: goes again, after it
                } else if (outcome == Outcome.SENT) {
                    published.add(row.seq());
                } else {
                    blockedKeys.add(row.key());
                    (outcome == Outcome.REFUSED ? refused : released).add(row.seq());
                }
            }
            return markPublished(round.token(), published)
                    .call(() -> recordRefusals(round.token(), refused))
                    .call(() -> release(round.token(), released))
                    .replaceWith(published.size());
        });
    }

    /** What one send came to. Only a refusal of the record itself counts towards setting a row aside. */
    private enum Outcome { SENT, KAFKA_UNAVAILABLE, REFUSED }

    /** Kafka unreachable, timed out, leader moving ...: the record is fine, try it again later. */
    private static boolean retriable(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof org.apache.kafka.common.errors.RetriableException
                    || t instanceof java.util.concurrent.TimeoutException) {
                return true;
            }
        }
        return false;
    }

    private Uni<Void> markPublished(UUID token, List<Long> seqs) {
        if (seqs.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return pool.preparedQuery("""
                        update outbox_events set published_at = (now() at time zone 'utc'), claimed_until = null, claim_token = null
                        where seq = any($1) and claim_token = $2""")
                .execute(Tuple.tuple().addArrayOfLong(seqs.toArray(Long[]::new)).addUUID(token))
                .replaceWithVoid();
    }

    /** Releases refused rows for the next round, counting the attempt; sets aside those out of attempts. */
    private Uni<Void> recordRefusals(UUID token, List<Long> seqs) {
        if (seqs.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return pool.preparedQuery("""
                        update outbox_events set claimed_until = null, claim_token = null, attempts = attempts + 1,
                            failed_at = case when attempts + 1 >= $3 then (now() at time zone 'utc') end
                        where seq = any($1) and claim_token = $2
                        returning seq, topic, attempts, failed_at""")
                .execute(Tuple.tuple().addArrayOfLong(seqs.toArray(Long[]::new)).addUUID(token).addInteger(maxRefusals))
                .invoke(rows -> rows.forEach(row -> {
                    if (row.getLocalDateTime("failed_at") != null) {
                        LOG.errorf("Outbox event %d (%s) failed %d times and is set aside (failed_at); its key's later"
                                + " events go on without it. Re-arm it with: update outbox_events set failed_at = null,"
                                + " attempts = 0 where seq = %d", row.getLong("seq"), row.getString("topic"),
                                row.getInteger("attempts"), row.getLong("seq"));
                    }
                }))
                .replaceWithVoid();
    }

    private Uni<Void> release(UUID token, List<Long> seqs) {
        if (seqs.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return pool.preparedQuery("update outbox_events set claimed_until = null, claim_token = null where seq = any($1) and claim_token = $2")
                .execute(Tuple.tuple().addArrayOfLong(seqs.toArray(Long[]::new)).addUUID(token))
                .replaceWithVoid();
    }

    private Message<String> toMessage(Claimed row) {
        Context parent = TraceParents.toContext(row.traceparent());
        return Message.of(row.payload())
                .addMetadata(OutgoingKafkaRecordMetadata.<String>builder()
                        .withTopic(topicPrefix + row.topic())
                        .withKey(row.key())
                        .build())
                .addMetadata(TracingMetadata.with(parent, parent));
    }

    /**
     * Deletes published rows older than {@code keep} (published before now - keep), at most {@code limit} per
     * call, oldest seq first; returns how many. Rows never published (leased, failing or set aside) are kept.
     *
     * <p>The scan stops at the first row published within {@code keep}: rows are written in seq order, so past
     * it are almost only young rows, and the work per call follows the rows there are to delete, not the rows
     * kept. The form before it filtered every kept row each minute (all 7 days of them in production; 23,430
     * rows, 114 ms per prune on the bench stack, with nothing to delete; docs/benchmarks.md "Where an 'idle'
     * stack spends PostgreSQL"). An old row behind a young one (a different key published long after it was
     * written) waits until that young one is old too: pruned later, never lost.
     */
    public Uni<Integer> prunePublished(Duration keep, int limit) {
        return pool.preparedQuery("""
                        with cutoff as materialized (select (now() at time zone 'utc') - make_interval(secs => $1) as t)
                        delete from outbox_events where seq = any(array(
                            select o.seq from outbox_events o, cutoff c
                            where o.published_at < c.t
                              and o.seq < coalesce((select y.seq from outbox_events y, cutoff c2
                                                    where y.published_at >= c2.t order by y.seq limit 1),
                                                   9223372036854775807)
                            order by o.seq limit $2))""")
                .execute(Tuple.of((double) keep.toSeconds(), limit))
                .map(rows -> rows.rowCount());
    }

    private record Claimed(long seq, String topic, String key, String payload, String traceparent) {
    }

    private record Round(UUID token, List<Claimed> rows) {
    }
}
