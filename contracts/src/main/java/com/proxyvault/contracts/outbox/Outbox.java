package com.proxyvault.contracts.outbox;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.proxyvault.contracts.events.EventEnvelope;
import com.proxyvault.contracts.events.EventJson;
import io.smallrye.mutiny.Uni;
import org.hibernate.reactive.mutiny.Mutiny;

/**
 * The write side of the transactional outbox: the event row goes into {@code outbox_events} through the
 * caller's session, so it commits or rolls back together with the state change it announces.
 * {@link OutboxRelay} publishes it afterwards. Table DDL: {@code docs/events.md}.
 */
public final class Outbox {

    private Outbox() {
    }

    public static Uni<Void> append(Mutiny.Session session, ObjectMapper mapper, EventEnvelope<?> event) {
        return session.createNativeQuery("""
                        insert into outbox_events (id, topic, message_key, payload)
                        values (:id, :topic, :key, :payload)""")
                .setParameter("id", event.id())
                .setParameter("topic", event.type())
                .setParameter("key", event.partitionKey())
                .setParameter("payload", EventJson.write(mapper, event))
                .executeUpdate()
                .replaceWithVoid();
    }
}
