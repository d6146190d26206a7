package com.proxyvault.contracts.outbox;

import io.smallrye.mutiny.Uni;
import jakarta.enterprise.inject.spi.DefinitionException;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.hibernate.reactive.mutiny.Mutiny;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.List;

/**
 * The read side of the outbox: publishes unpublished rows in insertion order and marks them published
 * only after Kafka acknowledged them (the emitter's channel is configured with acks=all and an
 * idempotent producer). A crash between the ack and the mark re-publishes the batch; consumers
 * deduplicate on the event id, so that costs nothing but a duplicate message.
 *
 * <p>A transaction-scoped advisory lock lets only one relay per database work at a time, so several
 * replicas of a service publish in one order. Events that depend on each other (an order's paid, then
 * its proxy's provisioned) are inserted in that order, because the second is written after the first
 * committed; two unrelated events committed concurrently may be published in either order.
 */
public final class OutboxRelay {

    private static final Logger LOG = Logger.getLogger(OutboxRelay.class);
    /** Any constant works: each service has its own database. */
    private static final long RELAY_LOCK_ID = 0x0b0c_5e1aL;

    private final Mutiny.SessionFactory sessionFactory;
    private final MutinyEmitter<String> emitter;
    private final String topicPrefix;
    private final int batchSize;

    public OutboxRelay(Mutiny.SessionFactory sessionFactory, MutinyEmitter<String> emitter, String topicPrefix, int batchSize) {
        this.sessionFactory = sessionFactory;
        this.emitter = emitter;
        this.topicPrefix = topicPrefix == null ? "" : topicPrefix;
        this.batchSize = batchSize;
    }

    /** Publishes at most one batch; returns how many events went out. */
    public Uni<Integer> publishBatch() {
        if (!readyToSend()) {
            return Uni.createFrom().item(0);
        }
        return sessionFactory.withTransaction(session -> session
                .createNativeQuery("select pg_try_advisory_xact_lock(:lock)", Boolean.class)
                .setParameter("lock", RELAY_LOCK_ID)
                .getSingleResult()
                .chain(locked -> locked ? publishLocked(session) : Uni.createFrom().item(0)));
    }

    /** False while the Kafka channel is not connected yet (start-up) or saturated: the next tick tries again. */
    private boolean readyToSend() {
        try {
            return emitter.hasRequests();
        } catch (DefinitionException notConnectedYet) {
            return false;
        }
    }

    private Uni<Integer> publishLocked(Mutiny.Session session) {
        return session.createNativeQuery("""
                        select seq, topic, message_key, payload from outbox_events
                        where published_at is null order by seq limit :limit""", Object[].class)
                .setParameter("limit", batchSize)
                .getResultList()
                .chain(rows -> {
                    if (rows.isEmpty()) {
                        return Uni.createFrom().item(0);
                    }
                    List<Uni<Void>> acks = new ArrayList<>(rows.size());
                    List<Long> published = new ArrayList<>(rows.size());
                    // Sends are issued in seq order; the idempotent producer keeps that order per partition.
                    for (Object[] row : rows) {
                        published.add(((Number) row[0]).longValue());
                        acks.add(emitter.sendMessage(toMessage((String) row[1], (String) row[2], (String) row[3])));
                    }
                    return Uni.join().all(acks).andFailFast()
                            .chain(() -> session.createNativeQuery(
                                            "update outbox_events set published_at = (now() at time zone 'utc') where seq in (:seqs)")
                                    .setParameter("seqs", published)
                                    .executeUpdate())
                            .invoke(n -> LOG.debugf("Published %d outbox events", n));
                });
    }

    private Message<String> toMessage(String topic, String key, String payload) {
        return Message.of(payload).addMetadata(OutgoingKafkaRecordMetadata.<String>builder()
                .withTopic(topicPrefix + topic)
                .withKey(key)
                .build());
    }
}
