package com.proxyvault.webhooks.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.proxyvault.contracts.events.EventEnvelope;
import com.proxyvault.contracts.events.EventJson;
import com.proxyvault.contracts.outbox.Inbox;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import org.hibernate.reactive.mutiny.Mutiny;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.concurrent.Executor;

/**
 * Turns one public event into one pending delivery per matching webhook of its reseller. The inbox row
 * and the deliveries commit together, so a redelivered event (Kafka is at-least-once) creates nothing new.
 */
@ApplicationScoped
public class EventFanout {

    static final String HANDLER = "webhook-fanout";
    private static final Logger LOG = Logger.getLogger(EventFanout.class);
    private static final int RETRIES = 5;

    private final Mutiny.SessionFactory sessionFactory;
    private final ObjectMapper mapper;

    public EventFanout(Mutiny.SessionFactory sessionFactory, ObjectMapper mapper) {
        this.sessionFactory = sessionFactory;
        this.mapper = mapper;
    }

    /**
     * Handles one Kafka message from the topic of {@code topicType}. Completes normally for a malformed
     * message (it can never succeed, so it is logged and acked); fails, after a few retries with backoff,
     * only when storing keeps failing, which sends the message to the channel's dead-letter topic.
     */
    public Uni<Void> accept(String topicType, String json) {
        EventEnvelope<JsonNode> event;
        try {
            event = parse(topicType, json);
        } catch (IllegalArgumentException e) {
            LOG.warnf("Skipping malformed message on %s: %s", topicType, e.getMessage());
            return Uni.createFrom().voidItem();
        }
        return Uni.createFrom().deferred(() -> fanOut(event, json))
                // Hibernate Reactive must run on the message's Vert.x context; a retry resubscribes from a
                // timer thread, so hop back to it on every (re)subscription.
                .runSubscriptionOn(onCurrentContext())
                .onFailure().invoke(e -> LOG.warnf("Storing deliveries for event %s failed, retrying: %s", event.id(), e.getMessage()))
                .onFailure().retry().withBackOff(Duration.ofMillis(200), Duration.ofSeconds(5)).atMost(RETRIES)
                .invoke(created -> LOG.debugf("Event %s (%s) for reseller %d: %d deliveries", event.id(), event.type(),
                        event.resellerId(), created))
                .replaceWithVoid();
    }

    private Uni<Integer> fanOut(EventEnvelope<JsonNode> event, String json) {
        return sessionFactory.withTransaction(session -> Inbox.firstDelivery(session, event.id(), HANDLER)
                .chain(first -> !first ? Uni.createFrom().item(0) : session.createNativeQuery("""
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
                        .executeUpdate()));
    }

    private EventEnvelope<JsonNode> parse(String topicType, String json) {
        if (json == null || json.isBlank()) {
            throw new IllegalArgumentException("empty message");
        }
        EventEnvelope<JsonNode> event = EventJson.read(mapper, json, JsonNode.class);
        if (event.id() == null) {
            throw new IllegalArgumentException("no event id");
        }
        // The header X-ProxyVault-Event is taken from the envelope, so it must agree with the topic.
        if (!topicType.equals(event.type())) {
            throw new IllegalArgumentException("event " + event.id() + " has type '" + event.type() + "' on the "
                    + topicType + " topic");
        }
        if (event.resellerId() <= 0) {
            throw new IllegalArgumentException("event " + event.id() + " has no reseller_id");
        }
        if (event.data() == null || !event.data().isObject()) {
            throw new IllegalArgumentException("event " + event.id() + " has no data object");
        }
        return event;
    }

    private static Executor onCurrentContext() {
        Context context = Vertx.currentContext();
        return context == null ? Runnable::run : command -> context.runOnContext(ignored -> command.run());
    }
}
