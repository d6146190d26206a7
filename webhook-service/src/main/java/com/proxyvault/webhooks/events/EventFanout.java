package com.proxyvault.webhooks.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.proxyvault.contracts.events.EventEnvelope;
import com.proxyvault.contracts.events.EventRegistry;
import com.proxyvault.platform.events.EventConsumer;
import com.proxyvault.platform.events.EventConsumers;
import com.proxyvault.platform.events.Inbox;
import com.proxyvault.webhooks.delivery.DeliveryDispatcher;
import com.proxyvault.webhooks.delivery.DueDelivery;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Turns one public event into one delivery per matching webhook of its reseller, through the platform's
 * consumer template: the inbox row and the deliveries are one statement (a redelivered event creates
 * nothing new), failures are retried and then parked in {@code dead_letter_events}, and the Kafka offset is
 * committed only after that statement (a crash loses nothing). A webhook that is disabled gets the delivery
 * as {@code skipped}: never sent, but kept for {@code POST /replay} after {@code POST /enable}.
 *
 * <p>The same statement claims the new deliveries for their first attempt (as the dispatcher's claim would:
 * {@code attempts} 1, {@code next_attempt_at} pushed by the lease) within the room the dispatcher gives
 * ({@link DeliveryDispatcher#fanoutClaim}), and the dispatcher starts them once it has committed. Without
 * that, every event cost a second transaction (the commit's NOTIFY woke the dispatcher, whose claim found
 * the rows again and updated each). A row it does not claim (endpoint saturated, replica full or stopping)
 * stays pending with {@code attempts} 0: the insert trigger wakes the dispatcher for it, as before. A crash
 * after the commit leaves the claimed rows leased: they are sent when the lease runs out, like any attempt
 * a dying replica had in flight.
 */
@ApplicationScoped
public class EventFanout {

    static final String HANDLER = "webhook-fanout";

    private final ObjectMapper mapper;
    /** One consumer per Kafka webhook event of the registry (handler {@code webhook-fanout:<type>}). */
    private final Map<String, EventConsumer<JsonNode>> consumers = new LinkedHashMap<>();

    private final Pool pool;
    private final DeliveryDispatcher dispatcher;

    public EventFanout(EventConsumers consumers, ObjectMapper mapper, Pool pool, DeliveryDispatcher dispatcher) {
        this.mapper = mapper;
        this.pool = pool;
        this.dispatcher = dispatcher;
        for (String type : EventRegistry.kafkaTopics()) {
            String handler = HANDLER + ":" + type;
            this.consumers.put(type, consumers.idempotentConsumer(handler, type, JsonNode.class,
                    (event, json) -> fanOut(handler, event, json)));
        }
    }

    /**
     * The inbox row, the deliveries and their claim in one statement on the Vert.x Pool: one round trip where
     * the template's Hibernate transaction took four (BEGIN, inbox insert, this insert, COMMIT; bench/pay) and
     * the dispatcher's claim then took a transaction of its own. The deliveries are inserted only when the inbox row is
     * ({@link Inbox#FIRST_DELIVERY}), so a redelivered event creates, claims and sends nothing. A delivery is
     * claimed when its webhook is enabled, not in {@code $6} and among the first {@code $7} matching webhooks.
     * $1 event id, $2 handler, $3 type, $4 payload, $5 reseller, $6 webhook ids not to claim (bigint[]),
     * $7 room (bigint), $8 lease in seconds. Returns the claimed deliveries: id, webhook_id, url, secret,
     * previous_secret (while it still signs).
     */
    private static final String FAN_OUT = "with " + Inbox.FIRST_DELIVERY + """
            ,
            matching as (
                select w.id, w.reseller_id, w.url, w.secret, w.disabled_at is null as enabled,
                       case when w.previous_secret_expires_at > (now() at time zone 'utc') then w.previous_secret end
                           as previous_secret,
                       w.disabled_at is null and w.id <> all($6::bigint[])
                           and row_number() over (order by w.id) <= $7 as claim
                from webhooks w
                where exists (select 1 from first_delivery)
                  and w.reseller_id = $5 and w.deleted_at is null
                  and (w.events = '*' or $3::text = any(string_to_array(w.events, ',')))),
            inserted as (
                insert into deliveries (webhook_id, reseller_id, event_id, event_type, payload, status, attempts,
                                        next_attempt_at)
                select id, reseller_id, $1::uuid, $3::text, $4::text,
                       case when enabled then 'pending' else 'skipped' end,
                       case when claim then 1 else 0 end,
                       (now() at time zone 'utc') + case when claim then make_interval(secs => $8) else interval '0' end
                from matching
                on conflict (webhook_id, event_id) where origin = 'event' do nothing
                returning id, webhook_id, attempts)
            select i.id, i.webhook_id, m.url, m.secret, m.previous_secret
            from inserted i join matching m on m.id = i.webhook_id
            where i.attempts = 1""";

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
        DeliveryDispatcher.FanoutClaim claim = dispatcher.fanoutClaim();
        String eventId = event.id().toString();
        return pool.preparedQuery(FAN_OUT)
                .execute(Tuple.tuple(List.of(event.id(), handler, event.type(), body, event.resellerId(),
                        claim.excludedEndpoints(), (long) claim.room(), claim.leaseSeconds())))
                .map(rows -> {
                    List<DueDelivery> claimed = new ArrayList<>(rows.size());
                    for (Row row : rows) {
                        claimed.add(new DueDelivery(row.getLong("id"), row.getLong("webhook_id"), 1, event.type(), eventId,
                                body, row.getString("url"), row.getString("secret"), row.getString("previous_secret")));
                    }
                    dispatcher.startClaimed(claimed);
                    return claimed.size();
                });
    }
}
