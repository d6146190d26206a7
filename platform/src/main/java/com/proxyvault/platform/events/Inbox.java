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

    /**
     * The same dedup as a CTE for one statement on the Vert.x Pool, {@code $1} = event id (uuid), {@code $2}
     * = handler: {@code with }{@value #FIRST_DELIVERY}{@code  insert … select … where exists (select from
     * first_delivery)} applies the effect only the first time, in the statement that records it.
     */
    public static final String FIRST_DELIVERY = """
            first_delivery as (
                insert into processed_events (event_id, handler) values ($1::uuid, $2::text)
                on conflict do nothing
                returning 1)""";

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
