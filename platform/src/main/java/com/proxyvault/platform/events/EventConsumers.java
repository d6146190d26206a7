package com.proxyvault.platform.events;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.hibernate.reactive.mutiny.Mutiny;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Builds every service's {@link EventConsumer}s and knows them by handler name, so a parked message can
 * be replayed through the handler that parked it. Retries are declared once per service:
 * {@code proxyvault.consumer.retries} (default 5), {@code proxyvault.consumer.initial-backoff} (200 ms),
 * {@code proxyvault.consumer.max-backoff} (5 s).
 */
@Singleton
public class EventConsumers {

    private final Mutiny.SessionFactory sessionFactory;
    private final ObjectMapper mapper;
    private final DeadLetters deadLetters;
    private final io.micrometer.core.instrument.MeterRegistry metrics;
    private final EventConsumer.RetryPolicy retry;
    private final Map<String, EventConsumer<?>> byHandler = new ConcurrentHashMap<>();

    public EventConsumers(Mutiny.SessionFactory sessionFactory, ObjectMapper mapper, DeadLetters deadLetters,
                          io.micrometer.core.instrument.MeterRegistry metrics,
                          @ConfigProperty(name = "proxyvault.consumer.retries", defaultValue = "5") int retries,
                          @ConfigProperty(name = "proxyvault.consumer.initial-backoff", defaultValue = "200ms") Duration initialBackoff,
                          @ConfigProperty(name = "proxyvault.consumer.max-backoff", defaultValue = "5s") Duration maxBackoff) {
        this.sessionFactory = sessionFactory;
        this.mapper = mapper;
        this.deadLetters = deadLetters;
        this.metrics = metrics;
        this.retry = new EventConsumer.RetryPolicy(retries, initialBackoff, maxBackoff);
    }

    /**
     * A consumer of {@code eventType} events whose data is {@code dataType}. {@code handler} names it in
     * {@code processed_events} and {@code dead_letter_events}: keep it stable, and unique in the service.
     */
    public <T> EventConsumer<T> consumer(String handler, String eventType, Class<T> dataType, EventConsumer.Effect<T> effect) {
        return rawConsumer(handler, eventType, dataType, (session, event, json) -> effect.apply(session, event));
    }

    /**
     * Like {@link #consumer}, with a read that finds the effect already in place and then skips the write
     * transaction (see {@link EventConsumer.AlreadyApplied} for when that is safe).
     */
    public <T> EventConsumer<T> consumer(String handler, String eventType, Class<T> dataType,
                                         EventConsumer.AlreadyApplied<T> alreadyApplied, EventConsumer.Effect<T> effect) {
        return register(new EventConsumer<>(handler, eventType, dataType,
                new EventConsumer.InTransaction<>((session, event, json) -> effect.apply(session, event), alreadyApplied),
                sessionFactory, mapper, deadLetters, metrics, retry));
    }

    /**
     * Like {@link #consumer(String, String, Class, EventConsumer.AlreadyApplied, EventConsumer.Effect)}, plus the
     * same check for a whole Kafka poll in one read ({@link EventConsumer#consumeBatch}; the channel needs
     * {@code batch=true}).
     */
    public <T> EventConsumer<T> consumer(String handler, String eventType, Class<T> dataType,
                                         EventConsumer.AlreadyApplied<T> alreadyApplied,
                                         EventConsumer.AlreadyAppliedBatch<T> alreadyAppliedBatch, EventConsumer.Effect<T> effect) {
        return register(new EventConsumer<>(handler, eventType, dataType,
                new EventConsumer.InTransaction<>((session, event, json) -> effect.apply(session, event), alreadyApplied,
                        alreadyAppliedBatch),
                sessionFactory, mapper, deadLetters, metrics, retry));
    }

    /** Like {@link #consumer}, for an effect that needs the message text as it arrived. */
    public <T> EventConsumer<T> rawConsumer(String handler, String eventType, Class<T> dataType,
                                            EventConsumer.RawEffect<T> effect) {
        return register(new EventConsumer<>(handler, eventType, dataType, new EventConsumer.InTransaction<>(effect, null),
                sessionFactory, mapper, deadLetters, metrics, retry));
    }

    /**
     * A consumer whose effect is idempotent by itself ({@link EventConsumer.IdempotentEffect}: one
     * conditional statement that only moves a state forward): applied without an inbox row or a Hibernate
     * transaction, one round trip where the template's transaction takes four. Retries and parking as for
     * {@link #consumer}.
     */
    public <T> EventConsumer<T> idempotentConsumer(String handler, String eventType, Class<T> dataType,
                                                   EventConsumer.IdempotentEffect<T> effect) {
        return idempotentConsumer(handler, eventType, dataType, effect, null);
    }

    /**
     * Like {@link #idempotentConsumer(String, String, Class, EventConsumer.IdempotentEffect)}, plus {@code batch}:
     * the same effect for every event of one Kafka poll in one statement ({@link EventConsumer#consumeBatch};
     * the channel needs {@code batch=true}).
     */
    public <T> EventConsumer<T> idempotentConsumer(String handler, String eventType, Class<T> dataType,
                                                   EventConsumer.IdempotentEffect<T> effect,
                                                   EventConsumer.IdempotentBatchEffect<T> batch) {
        return register(new EventConsumer<>(handler, eventType, dataType, new EventConsumer.ByItself<>(effect, batch),
                sessionFactory, mapper, deadLetters, metrics, retry));
    }

    private <T> EventConsumer<T> register(EventConsumer<T> consumer) {
        String handler = consumer.handler();
        EventConsumer<?> previous = byHandler.putIfAbsent(handler, consumer);
        if (previous != null) {
            throw new IllegalStateException("Two event consumers named " + handler);
        }
        return consumer;
    }

    Optional<EventConsumer<?>> byHandler(String handler) {
        return Optional.ofNullable(byHandler.get(handler));
    }
}
