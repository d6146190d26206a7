package com.proxyvault.webhooks.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.proxyvault.contracts.events.EventEnvelope;
import com.proxyvault.platform.events.EventConsumer;
import com.proxyvault.platform.events.EventConsumers;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.hibernate.reactive.mutiny.Mutiny;

/**
 * Turns one public event into one pending delivery per matching webhook of its reseller, through the
 * platform's consumer template: the inbox row and the deliveries commit together (a redelivered event
 * creates nothing new), failures are retried and then parked in {@code dead_letter_events}. The
 * {@code deliveries} insert trigger wakes the dispatcher on commit.
 */
@ApplicationScoped
public class EventFanout {

    static final String HANDLER = "webhook-fanout";

    private final EventConsumers consumers;

    public EventFanout(EventConsumers consumers) {
        this.consumers = consumers;
    }

    /** The consumer of one public event type's topic (handler {@code webhook-fanout:<type>}). */
    EventConsumer<JsonNode> consumerOf(String eventType) {
        return consumers.rawConsumer(HANDLER + ":" + eventType, eventType, JsonNode.class, this::fanOut);
    }

    private Uni<Integer> fanOut(Mutiny.Session session, EventEnvelope<JsonNode> event, String json) {
        if (!event.data().isObject()) {
            return Uni.createFrom().failure(new IllegalArgumentException("event " + event.id() + " has no data object"));
        }
        return session.createNativeQuery("""
                        insert into deliveries (webhook_id, reseller_id, event_id, event_type, payload)
                        select id, reseller_id, cast(:eventId as uuid), cast(:type as text), cast(:payload as text)
                        from webhooks
                        where reseller_id = :reseller and deleted_at is null
                          and (events = '*' or cast(:type as text) = any(string_to_array(events, ',')))
                        on conflict (webhook_id, event_id) do nothing""")
                .setParameter("eventId", event.id())
                .setParameter("type", event.type())
                // Kept byte for byte: the signature the receiver checks is over exactly this text.
                .setParameter("payload", json)
                .setParameter("reseller", event.resellerId())
                .executeUpdate();
    }
}
