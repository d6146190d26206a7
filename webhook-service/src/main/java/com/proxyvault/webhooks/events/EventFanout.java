package com.proxyvault.webhooks.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.proxyvault.contracts.events.EventEnvelope;
import com.proxyvault.contracts.events.EventRegistry;
import com.proxyvault.platform.events.EventConsumer;
import com.proxyvault.platform.events.EventConsumers;
import com.proxyvault.webhooks.delivery.DeliveryDispatcher;
import com.proxyvault.webhooks.delivery.DueDelivery;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Turns public events into one delivery per matching webhook of their reseller, through the platform's
 * consumer template: the inbox rows and the deliveries are one statement (a redelivered event creates
 * nothing new), failures are retried and then parked in {@code dead_letter_events}, and the Kafka offset is
 * committed only after that statement (a crash loses nothing). A webhook that is disabled gets the delivery
 * as {@code skipped}: never sent, but kept for {@code POST /replay} after {@code POST /enable}.
 *
 * <p>A whole Kafka poll, whatever its event types, is one statement ({@link #consume}, the platform's
 * {@link EventConsumer#consumePoll}): bench/pay measured the statement per event as most of what webhook-service
 * costs per purchase. Each event keeps its own handler ({@code webhook-fanout:<type>}) in
 * {@code processed_events}, so a poll leaves the database as fanning its events out one by one would; when the
 * statement fails, every event goes the per-event way (the same statement with one event: retries, parking).
 *
 * <p>The same statement claims the new deliveries for their first attempt (as the dispatcher's claim would:
 * {@code attempts} 1, {@code next_attempt_at} pushed by the lease) within the room the dispatcher gives
 * ({@link DeliveryDispatcher#fanoutClaim}), and the dispatcher starts them once it has committed. Without
 * that, every event cost a second transaction (the commit's NOTIFY woke the dispatcher, whose claim found
 * the rows again and updated each). A row it does not claim (endpoint saturated or out of free slots, replica
 * full or stopping) stays pending with {@code attempts} 0: the insert trigger wakes the dispatcher for it, as
 * before. A crash after the commit leaves the claimed rows leased: they are sent when the lease runs out, like
 * any attempt a dying replica had in flight.
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
            this.consumers.put(type, consumers.idempotentConsumer(HANDLER + ":" + type, type, JsonNode.class,
                    (event, json) -> fanOut(List.of(event), List.of(json))));
        }
    }

    /**
     * The inbox rows, the deliveries and their claim for every event of a poll, in one statement on the Vert.x
     * Pool: one round trip for the poll where each event took one (and the template's Hibernate transaction four:
     * BEGIN, inbox insert, this insert, COMMIT; bench/pay), and no claim transaction of the dispatcher's after it.
     *
     * <p>Parameters, one array element per event of the poll, in the poll's order: $1 event ids (uuid[]), $2 their
     * handlers ({@code webhook-fanout:<type>}), $3 types, $4 webhook bodies, $5 resellers (bigint[]). The claim
     * ({@link DeliveryDispatcher.FanoutClaim}): $6 webhook ids not to claim (bigint[]), $7/$8 attempts in flight by
     * webhook id (bigint[], int[]), $9 the per-endpoint limit, $10 the replica's room (bigint), $11 lease in seconds.
     *
     * <p>As the events one by one: {@code events} keeps the first copy of an event the poll holds twice; the
     * inbox insert returns only the events never fanned out by their handler before, and only they get
     * deliveries (their reseller's live webhooks taking their type: {@code matching}); the unique
     * {@code (webhook_id, event_id)} of event deliveries is the last word. A delivery is claimed ({@code claim})
     * when its webhook is enabled and not excluded, its webhook's new deliveries in poll order plus those in
     * flight stay within the per-endpoint limit, and the claimed ones in poll order within the room. Rows are
     * inserted in poll order, so the dispatcher (oldest first) takes what was left unclaimed in that order.
     * Returns the claimed deliveries: id, webhook_id, event_id, event_type, url, secret, previous_secret (while it
     * still signs).
     *
     * <p>Sent as one line: the Vert.x client keeps a prepared statement only up to 2048 characters
     * ({@code SqlConnectOptions} {@code preparedStatementCacheSqlLimit}), and a longer one is parsed again at every
     * execution, a round trip more (PostgreSQL counts it as a transaction of its own: measured, one per event
     * fanned out alone). EventFanoutStatementTest keeps it within the limit.
     */
    static final String FAN_OUT = """
            with e as (
                select distinct on (id, handler) *
                from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::bigint[]) with ordinality
                    as p(id, handler, type, payload, reseller_id, ord)
                order by id, handler, ord),
            first_delivery as (
                insert into processed_events (event_id, handler) select id, handler from e
                on conflict do nothing
                returning event_id, handler),
            matching as (
                select e.ord, e.id as event_id, e.type, e.payload, w.id, w.reseller_id, w.url, w.secret,
                       w.disabled_at is null as enabled,
                       case when w.previous_secret_expires_at > (now() at time zone 'utc') then w.previous_secret end
                           as previous_secret,
                       w.disabled_at is null and w.id <> all($6::bigint[])
                           and row_number() over (partition by w.id order by e.ord) + coalesce(b.in_flight, 0) <= $9
                           as claimable
                from e
                join first_delivery f on (f.event_id, f.handler) = (e.id, e.handler)
                join webhooks w on w.reseller_id = e.reseller_id and w.deleted_at is null
                               and (w.events = '*' or e.type = any(string_to_array(w.events, ',')))
                left join unnest($7::bigint[], $8::int[]) as b(webhook_id, in_flight) on b.webhook_id = w.id),
            claims as (
                select *, claimable and row_number() over (partition by claimable order by ord, id) <= $10 as claim
                from matching),
            inserted as (
                insert into deliveries (webhook_id, reseller_id, event_id, event_type, payload, status, attempts,
                                        next_attempt_at)
                select id, reseller_id, event_id, type, payload, case when enabled then 'pending' else 'skipped' end,
                       case when claim then 1 else 0 end,
                       (now() at time zone 'utc') + case when claim then make_interval(secs => $11) else interval '0' end
                from claims
                order by ord, id
                on conflict (webhook_id, event_id) where origin = 'event' do nothing
                returning id, webhook_id, event_id, event_type, attempts)
            select distinct on (i.id) i.id, i.webhook_id, i.event_id, i.event_type, c.url, c.secret, c.previous_secret
            from inserted i join claims c on (c.id, c.event_id) = (i.webhook_id, i.event_id)
            where i.attempts = 1
            order by i.id""".replaceAll("\\s+", " ").strip();

    /** The consumer of one webhook event type, if the registry has it as a Kafka event. */
    Optional<EventConsumer<JsonNode>> consumerOf(String eventType) {
        return Optional.ofNullable(consumers.get(eventType));
    }

    /**
     * Fans out the webhook events of one Kafka poll ({@link #consumerOf} each message's topic): one statement for
     * all of them, unreadable messages parked one by one, the per-event way when that statement fails
     * ({@link EventConsumer#consumePoll}). Completing acknowledges the poll.
     */
    Uni<Void> consume(List<EventConsumer.Polled<JsonNode>> poll) {
        return EventConsumer.consumePoll(poll, this::fanOut);
    }

    /** An event's identity in a poll: its id and type (the type names its handler). */
    private record Key(UUID eventId, String type) {
    }

    /**
     * {@link #FAN_OUT} for {@code events} ({@code jsons}: their messages as they arrived), then starts the
     * deliveries it claimed. Fails, changing nothing, when an event's data is not an object.
     *
     * @return how many deliveries it claimed
     */
    private Uni<Integer> fanOut(List<EventEnvelope<JsonNode>> events, List<String> jsons) {
        int size = events.size();
        UUID[] ids = new UUID[size];
        String[] handlers = new String[size];
        String[] types = new String[size];
        String[] bodies = new String[size];
        Long[] resellers = new Long[size];
        Map<Key, String> bodyOf = new HashMap<>();
        for (int i = 0; i < size; i++) {
            EventEnvelope<JsonNode> event = events.get(i);
            if (!event.data().isObject()) {
                return Uni.createFrom().failure(new IllegalArgumentException("event " + event.id() + " has no data object"));
            }
            try {
                // The payload is kept byte for byte: the signatures the receiver checks are over exactly this text.
                bodies[i] = WebhookPayload.fromEnvelope(mapper, mapper.readTree(jsons.get(i)));
            } catch (java.io.IOException e) {
                return Uni.createFrom().failure(e);
            }
            ids[i] = event.id();
            handlers[i] = HANDLER + ":" + event.type();
            types[i] = event.type();
            resellers[i] = event.resellerId();
            // the first copy of an event the poll holds twice, as the statement keeps it
            bodyOf.putIfAbsent(new Key(event.id(), event.type()), bodies[i]);
        }
        DeliveryDispatcher.FanoutClaim claim = dispatcher.fanoutClaim();
        return pool.preparedQuery(FAN_OUT)
                .execute(Tuple.tuple(List.of(ids, handlers, types, bodies, resellers, claim.excludedEndpoints(),
                        claim.inFlight().webhookIds(), claim.inFlight().counts(), (long) claim.perEndpoint(),
                        (long) claim.room(), claim.leaseSeconds())))
                .map(rows -> {
                    List<DueDelivery> claimed = new ArrayList<>(rows.size());
                    for (Row row : rows) {
                        UUID eventId = row.getUUID("event_id");
                        String type = row.getString("event_type");
                        claimed.add(new DueDelivery(row.getLong("id"), row.getLong("webhook_id"), 1, type, eventId.toString(),
                                bodyOf.get(new Key(eventId, type)), row.getString("url"), row.getString("secret"),
                                row.getString("previous_secret")));
                    }
                    dispatcher.startClaimed(claimed);
                    return claimed.size();
                });
    }
}
