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
        return session.createNativeQuery("""
                        insert into outbox_events (id, topic, message_key, payload, traceparent)
                        values (:id, :topic, :key, :payload, :traceparent)""")
                .setParameter("id", event.id())
                .setParameter("topic", event.type())
                .setParameter("key", event.partitionKey())
                .setParameter("payload", EventJson.write(mapper, event))
                .setParameter("traceparent", traceparent != null ? traceparent : TraceParents.current())
                .executeUpdate()
                .replaceWithVoid();
    }
}
