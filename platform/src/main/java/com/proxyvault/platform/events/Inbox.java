package com.proxyvault.platform.events;

import io.smallrye.mutiny.Uni;
import org.hibernate.reactive.mutiny.Mutiny;

import java.util.UUID;

/**
 * The consumer side of exactly-once effects: call {@link #firstDelivery} inside the transaction that
 * applies the event's effect. The row in {@code processed_events} commits with the effect, so a
 * redelivered event (Kafka is at-least-once) finds it and is skipped.
 */
public final class Inbox {

    private Inbox() {
    }

    /** True the first time {@code handler} sees {@code eventId}; false for every redelivery. */
    public static Uni<Boolean> firstDelivery(Mutiny.Session session, UUID eventId, String handler) {
        return session.createNativeQuery("""
                        insert into processed_events (event_id, handler) values (:id, :handler)
                        on conflict do nothing""")
                .setParameter("id", eventId)
                .setParameter("handler", handler)
                .executeUpdate()
                .map(inserted -> inserted == 1);
    }
}
