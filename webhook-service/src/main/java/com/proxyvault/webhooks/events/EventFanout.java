package com.proxyvault.webhooks.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.proxyvault.contracts.events.EventEnvelope;
import com.proxyvault.contracts.events.EventRegistry;
import com.proxyvault.platform.events.EventConsumer;
import com.proxyvault.platform.events.EventConsumers;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import com.proxyvault.platform.events.Inbox;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Turns one public event into one pending delivery per matching webhook of its reseller, through the
 * platform's consumer template: the inbox row and the deliveries are one statement (a redelivered event
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

    private final Pool pool;

    public EventFanout(EventConsumers consumers, ObjectMapper mapper, Pool pool) {
        this.mapper = mapper;
        this.pool = pool;
        for (String type : EventRegistry.kafkaTopics()) {
            String handler = HANDLER + ":" + type;
            this.consumers.put(type, consumers.idempotentConsumer(handler, type, JsonNode.class,
                    (event, json) -> fanOut(handler, event, json)));
        }
    }

    /**
     * The inbox row and the deliveries in one statement on the Vert.x Pool (one round trip where the
     * template's Hibernate transaction took four: BEGIN, inbox insert, this insert, COMMIT; bench/pay): the
     * deliveries are inserted only when the inbox row is ({@link Inbox#FIRST_DELIVERY}), so a redelivered
     * event creates nothing, exactly as before. $1 event id, $2 handler, $3 type, $4 payload, $5 reseller.
     */
    private static final String FAN_OUT = "with " + Inbox.FIRST_DELIVERY + """
            
            insert into deliveries (webhook_id, reseller_id, event_id, event_type, payload, status)
            select id, reseller_id, $1::uuid, $3::text, $4::text,
                   case when disabled_at is null then 'pending' else 'skipped' end
            from webhooks
            where exists (select 1 from first_delivery)
              and reseller_id = $5 and deleted_at is null
              and (events = '*' or $3::text = any(string_to_array(events, ',')))
            on conflict (webhook_id, event_id) where origin = 'event' do nothing""";

    /** The consumer of one webhook event type, if the registry has it as a Kafka event. */
    Optional<EventConsumer<JsonNode>> consumerOf(String eventType) {
        return Optional.ofNullable(consumers.get(eventType));
    }

    private Uni<Integer> fanOut(String handler, EventEnvelope<JsonNode> event, String json) {
        if (!event.data().isObject()) {
            return Uni.createFrom().failure(new IllegalArgumentException("event " + event.id() + " has no data object"));
        }
        String body;
        try {
            body = WebhookPayload.fromEnvelope(mapper, mapper.readTree(json));
        } catch (java.io.IOException e) {
            return Uni.createFrom().failure(e);
        }
        // The payload is kept byte for byte: the signatures the receiver checks are over exactly this text.
        return pool.preparedQuery(FAN_OUT)
                .execute(Tuple.of(event.id(), handler, event.type(), body, event.resellerId()))
                .map(rows -> rows.rowCount());
    }
}
