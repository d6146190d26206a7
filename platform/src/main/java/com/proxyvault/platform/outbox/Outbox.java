package com.proxyvault.platform.outbox;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.proxyvault.contracts.events.EventEnvelope;
import com.proxyvault.contracts.events.EventJson;
import com.proxyvault.platform.tracing.TraceParents;
import io.smallrye.mutiny.Uni;
import org.hibernate.reactive.mutiny.Mutiny;

/**
 * The write side of the transactional outbox: the event row goes into {@code outbox_events} through the
 * caller's session, so it commits or rolls back together with the state change it announces. The row's
 * insert trigger does {@code pg_notify('outbox_events')}, which PostgreSQL delivers on commit, and
 * {@link OutboxPublisher} publishes it at once; the periodic sweep catches anything the notification
 * missed. The current trace context is stored beside the event, so the consumers' work joins the trace
 * of the request that caused it. Table DDL: {@code docs/events.md}.
 */
public final class Outbox {

    private Outbox() {
    }

    /** Appends {@code event} (topic = its type, key = its partition key) in the session's transaction. */
    public static Uni<Void> append(Mutiny.Session session, ObjectMapper mapper, EventEnvelope<?> event) {
        return append(session, mapper, event, TraceParents.current());
    }

    /**
     * Same, with the trace the event belongs to given explicitly: for work that continues a trace stored
     * with a row (see {@code TraceParents}) rather than the current one. A null traceparent falls back to
     * the current span.
     */
    public static Uni<Void> append(Mutiny.Session session, ObjectMapper mapper, EventEnvelope<?> event, String traceparent) {
        Row row = row(mapper, event, traceparent);
        return session.createNativeQuery("""
                        insert into outbox_events (id, topic, message_key, payload, traceparent)
                        values (:id, :topic, :key, :payload, :traceparent)""")
                .setParameter("id", row.id())
                .setParameter("topic", row.topic())
                .setParameter("key", row.key())
                .setParameter("payload", row.payload())
                .setParameter("traceparent", row.traceparent())
                .executeUpdate()
                .replaceWithVoid();
    }

    /**
     * The {@code outbox_events} row of {@code event} (trace = the current span), for a statement on the
     * Vert.x {@code Pool} that writes the state change and the row together (a data-modifying CTE, one
     * round trip): {@code insert into outbox_events (id, topic, message_key, payload, traceparent)} with
     * these five values, in the same statement or transaction as the change it announces.
     */
    public static Row row(ObjectMapper mapper, EventEnvelope<?> event) {
        return row(mapper, event, null);
    }

    /**
     * {@link #row(ObjectMapper, EventEnvelope)} carrying {@code traceparent} (the trace the event belongs to, e.g.
     * the purchase's, stored on the row it announces), or the current one when null.
     */
    public static Row row(ObjectMapper mapper, EventEnvelope<?> event, String traceparent) {
        return new Row(event.id(), event.type(), event.partitionKey(), EventJson.write(mapper, event),
                traceparent != null ? traceparent : TraceParents.current());
    }

    /** One outbox row's values: the event id, topic (= its type), partition key, envelope JSON, W3C traceparent (nullable). */
    public record Row(java.util.UUID id, String topic, String key, String payload, String traceparent) {
    }
}
