package com.proxyvault.contracts.outbox;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.proxyvault.contracts.events.EventEnvelope;
import com.proxyvault.contracts.events.EventJson;
import io.smallrye.mutiny.Uni;
import org.hibernate.reactive.mutiny.Mutiny;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.function.BiFunction;

/**
 * The body of every Kafka consumer: parse the envelope, then apply the effect and record the event id in
 * one transaction ({@link Inbox}), so a redelivery does nothing. A message that cannot be parsed can never
 * succeed: it is logged and acknowledged. A failing effect is retried with backoff; if it still fails the
 * returned Uni fails, and the channel's failure strategy (a dead-letter topic) takes the message.
 */
public final class EventHandlers {

    private static final Logger LOG = Logger.getLogger(EventHandlers.class);

    private EventHandlers() {
    }

    public static <T> Uni<Void> applyOnce(Mutiny.SessionFactory sessionFactory, ObjectMapper mapper, String json,
                                          Class<T> dataType, String handler,
                                          BiFunction<Mutiny.Session, EventEnvelope<T>, Uni<?>> effect) {
        EventEnvelope<T> event;
        try {
            event = EventJson.read(mapper, json, dataType);
        } catch (IllegalArgumentException e) {
            LOG.errorf("%s: dropping malformed event (%s): %s", handler, e.getMessage(), json);
            return Uni.createFrom().voidItem();
        }
        if (event.id() == null || event.data() == null) {
            LOG.errorf("%s: dropping event without id or data: %s", handler, json);
            return Uni.createFrom().voidItem();
        }
        EventEnvelope<T> parsed = event;
        return sessionFactory.withTransaction(session -> Inbox.firstDelivery(session, parsed.id(), handler)
                        .chain(first -> first
                                ? effect.apply(session, parsed).replaceWithVoid()
                                : Uni.createFrom().voidItem()
                                        .invoke(() -> LOG.debugf("%s: event %s already applied", handler, parsed.id()))))
                .onFailure().invoke(e -> LOG.warnf("%s: applying event %s failed (%s), retrying", handler, parsed.id(), e.toString()))
                .onFailure().retry().withBackOff(Duration.ofMillis(200), Duration.ofSeconds(5)).atMost(6);
    }
}
