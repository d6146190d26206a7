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
import java.util.List;

/**
 * The read side of the outbox: claim, send, then mark. No database transaction is open while Kafka
 * acknowledges (the rule: "claim rows, send, then mark").
 *
 * <ol>
 *   <li><b>Claim</b> (one short transaction): unpublished rows get a lease ({@code claimed_until}), in
 *       {@code seq} order, skipping every row whose partition key still has an earlier row under another
 *       live lease. A transaction-scoped advisory lock serialises claims, so two replicas never claim the
 *       same row, and the events of one key (one reseller, hence one aggregate) are never in flight on two
 *       replicas at once: their publication order is their commit order.</li>
 *   <li><b>Send</b> every claimed row in {@code seq} order through the {@code outbox} channel
 *       ({@code acks=all}, idempotent producer: order kept per partition).</li>
 *   <li><b>Mark</b> the acknowledged rows published. A send that fails releases the claim so the next
 *       round retries; a relay that dies mid-way leaves a lease that simply runs out. Either way an event
 *       may be published twice, never lost: consumers deduplicate on the event id.</li>
 * </ol>
 * Each round takes up to {@code claimSize} rows and {@link #drain()} repeats rounds until the outbox is
 * empty, so there is no per-tick ceiling. Table DDL: {@code docs/events.md}.
 */
public final class OutboxRelay {

    private static final Logger LOG = Logger.getLogger(OutboxRelay.class);
    /** Any constant works: each service has its own database. */
    private static final long CLAIM_LOCK_ID = 0x0b0c_5e1aL;

    private static final String CLAIM = """
            update outbox_events o set claimed_until = (now() at time zone 'utc') + make_interval(secs => $1)
            where o.seq in (
                select c.seq from outbox_events c
                where c.published_at is null
                  and (c.claimed_until is null or c.claimed_until < (now() at time zone 'utc'))
                  and not exists (
                      select 1 from outbox_events p
                      where p.message_key = c.message_key and p.published_at is null and p.seq < c.seq
                        and p.claimed_until >= (now() at time zone 'utc'))
                order by c.seq
                limit $2)
            returning o.seq, o.topic, o.message_key, o.payload, o.traceparent""";

    private final Pool pool;
    private final MutinyEmitter<String> emitter;
    private final String topicPrefix;
    private final int claimSize;
    private final Duration lease;

    /**
     * @param topicPrefix prepended to the event type to name the topic ("" in the stack, random in tests)
     * @param claimSize   rows per round (a round trip size, not a ceiling: {@link #drain()} loops)
     * @param lease       how long a claim keeps other relays off a row; longer than a send can take
     *                    (the channel's {@code delivery.timeout.ms})
     */
    public OutboxRelay(Pool pool, MutinyEmitter<String> emitter, String topicPrefix, int claimSize, Duration lease) {
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
        return claim().chain(rows -> rows.isEmpty() ? Uni.createFrom().item(0) : sendAndMark(rows));
    }

    private Uni<List<Claimed>> claim() {
        return pool.withTransaction(connection -> connection
                .preparedQuery("select pg_advisory_xact_lock($1)").execute(Tuple.of(CLAIM_LOCK_ID))
                .chain(() -> connection.preparedQuery(CLAIM).execute(Tuple.of(lease.toMillis() / 1000.0, claimSize)))
                .map(rows -> {
                    List<Claimed> claimed = new ArrayList<>(rows.size());
                    for (Row row : rows) {
                        claimed.add(new Claimed(row.getLong("seq"), row.getString("topic"), row.getString("message_key"),
                                row.getString("payload"), row.getString("traceparent")));
                    }
                    // RETURNING has no order; the sends must go out in commit order.
                    claimed.sort(Comparator.comparingLong(Claimed::seq));
                    return claimed;
                }));
    }

    private Uni<Integer> sendAndMark(List<Claimed> rows) {
        List<Uni<Void>> acks = new ArrayList<>(rows.size());
        Long[] seqs = new Long[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            Claimed row = rows.get(i);
            seqs[i] = row.seq();
            // Issued in seq order; the idempotent producer keeps that order within each partition.
            acks.add(emitter.sendMessage(toMessage(row)));
        }
        return Uni.join().all(acks).andCollectFailures()
                .chain(() -> pool.preparedQuery("""
                                update outbox_events set published_at = (now() at time zone 'utc'), claimed_until = null
                                where seq = any($1)""")
                        .execute(Tuple.tuple().addArrayOfLong(seqs)))
                .map(marked -> rows.size())
                .onFailure().call(failure -> {
                    LOG.warnf("Publishing %d outbox events failed, releasing them for the sweep: %s", rows.size(), failure.toString());
                    return pool.preparedQuery("update outbox_events set claimed_until = null where seq = any($1) and published_at is null")
                            .execute(Tuple.tuple().addArrayOfLong(seqs))
                            .onFailure().recoverWithNull(); // the lease runs out by itself
                });
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

    /** Deletes published rows older than {@code keep}, at most {@code limit} per call; returns how many. */
    public Uni<Integer> prunePublished(Duration keep, int limit) {
        return pool.preparedQuery("""
                        delete from outbox_events where seq in (
                            select seq from outbox_events
                            where published_at < (now() at time zone 'utc') - make_interval(secs => $1)
                            order by seq limit $2)""")
                .execute(Tuple.of((double) keep.toSeconds(), limit))
                .map(rows -> rows.rowCount());
    }

    private record Claimed(long seq, String topic, String key, String payload, String traceparent) {
    }
}
