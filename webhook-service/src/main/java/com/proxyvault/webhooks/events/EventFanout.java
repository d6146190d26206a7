package com.proxyvault.webhooks.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.proxyvault.contracts.events.EventEnvelope;
import com.proxyvault.contracts.events.EventRegistry;
import com.proxyvault.platform.events.EventConsumer;
import com.proxyvault.platform.events.EventConsumers;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.hibernate.reactive.mutiny.Mutiny;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Turns one public event into one pending delivery per matching webhook of its reseller, through the
 * platform's consumer template: the inbox row and the deliveries commit together (a redelivered event
 * creates nothing new), failures are retried and then parked in {@code dead_letter_events}. The
 * {@code deliveries} insert trigger wakes the dispatcher on commit, and the Kafka offset is committed
 * only after this transaction (a crash loses nothing). A webhook that is disabled gets the delivery as
 * {@code skipped}: never sent, but kept for {@code POST /replay} after {@code POST /enable}.
 */
@ApplicationScoped
public class EventFanout {

    static final String HANDLER = "webhook-fanout";

    private final ObjectMapper mapper;
    /** One consumer per Kafka webhook event of the registry (handler {@code webhook-fanout:<type>}). */
    private final Map<String, EventConsumer<JsonNode>> consumers = new LinkedHashMap<>();

    public EventFanout(EventConsumers consumers, ObjectMapper mapper) {
        this.mapper = mapper;
        for (String type : EventRegistry.kafkaTopics()) {
            this.consumers.put(type, consumers.rawConsumer(HANDLER + ":" + type, type, JsonNode.class, this::fanOut));
        }
    }

    /** The consumer of one webhook event type, if the registry has it as a Kafka event. */
    Optional<EventConsumer<JsonNode>> consumerOf(String eventType) {
        return Optional.ofNullable(consumers.get(eventType));
    }

    private Uni<Integer> fanOut(Mutiny.Session session, EventEnvelope<JsonNode> event, String json) {
        if (!event.data().isObject()) {
            return Uni.createFrom().failure(new IllegalArgumentException("event " + event.id() + " has no data object"));
        }
        String body;
        try {
            body = WebhookPayload.fromEnvelope(mapper, mapper.readTree(json));
        } catch (java.io.IOException e) {
            return Uni.createFrom().failure(e);
        }
        return session.createNativeQuery("""
                        insert into deliveries (webhook_id, reseller_id, event_id, event_type, payload, status)
                        select id, reseller_id, cast(:eventId as uuid), cast(:type as text), cast(:payload as text),
                               case when disabled_at is null then 'pending' else 'skipped' end
                        from webhooks
                        where reseller_id = :reseller and deleted_at is null
                          and (events = '*' or cast(:type as text) = any(string_to_array(events, ',')))
                        on conflict (webhook_id, event_id) where origin = 'event' do nothing""")
                .setParameter("eventId", event.id())
                .setParameter("type", event.type())
                // Kept byte for byte: the signatures the receiver checks are over exactly this text.
                .setParameter("payload", body)
                .setParameter("reseller", event.resellerId())
                .executeUpdate();
    }
}
