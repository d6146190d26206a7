package com.proxyvault.platform.events;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.proxyvault.contracts.events.EventEnvelope;
import com.proxyvault.contracts.events.EventJson;
import com.proxyvault.contracts.events.EventTypes;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgException;
import org.hibernate.JDBCException;
import org.hibernate.reactive.mutiny.Mutiny;
import org.jboss.logging.Logger;

import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one way a service consumes an event (build it with {@link EventConsumers#consumer}):
 * <ol>
 *   <li>parse the envelope as {@code dataType}; a message that cannot be read, or whose type is not the
 *       topic's, can never succeed and is parked at once;</li>
 *   <li>optionally, a read outside any transaction ({@link AlreadyApplied}) that finds the effect already in
 *       place: then the event is acknowledged with no write at all (the charge.posted backstop, whose pay
 *       finished first in the normal case);</li>
 *   <li>in one transaction, record {@code (event id, handler)} in {@code processed_events}
 *       ({@link Inbox}) and apply the effect only the first time, so a redelivery changes nothing; or, for an
 *       effect idempotent by itself ({@link IdempotentEffect}), apply it alone, with no inbox row;</li>
 *   <li>a failing transaction is retried with exponential backoff, each attempt back on the message's
 *       Vert.x context (where Hibernate Reactive must run); a statement PostgreSQL refuses as such (a CHECK, a
 *       data exception) only once ({@link #isDeterministic});</li>
 *   <li>after the last retry the message is parked in {@code dead_letter_events} ({@link DeadLetters}):
 *       visible, replayable by an operator, never dropped, and the partition moves on.</li>
 * </ol>
 * The returned Uni completes once the message is applied, skipped as a duplicate or parked; completing
 * it acknowledges the Kafka record.
 * <p>
 * A consumer whose effect is idempotent by itself may also take a whole Kafka poll at once
 * ({@link #consumeBatch}, channel {@code batch=true}; {@link #consumePoll} when one subscription's poll spans
 * several consumers): one statement for every event of the poll where each event took one, and the per-event
 * path (retries, parking) only for a poll whose statement failed (docs/events.md "Batches").
 */
public final class EventConsumer<T> {

    private static final Logger LOG = Logger.getLogger(EventConsumer.class);

    private final String handler;
    private final String eventType;
    private final Class<T> dataType;
    private final Application<T> application;
    private final Mutiny.SessionFactory sessionFactory;
    private final ObjectMapper mapper;
    private final DeadLetters deadLetters;
    private final io.micrometer.core.instrument.MeterRegistry metrics;
    private final RetryPolicy retry;
    private volatile ParkedCompensation<T> parked;

    EventConsumer(String handler, String eventType, Class<T> dataType, Application<T> application,
                  Mutiny.SessionFactory sessionFactory, ObjectMapper mapper, DeadLetters deadLetters,
                  io.micrometer.core.instrument.MeterRegistry metrics, RetryPolicy retry) {
        this.handler = handler;
        this.eventType = eventType;
        this.dataType = dataType;
        this.application = java.util.Objects.requireNonNull(application, "application");
        this.sessionFactory = sessionFactory;
        this.mapper = mapper;
        this.deadLetters = deadLetters;
        this.metrics = metrics;
        this.retry = retry;
    }

    /**
     * How a consumer applies its event: one of two kinds, so a consumer carries exactly the effect it runs
     * (no placeholder for the other kind).
     */
    sealed interface Application<T> permits InTransaction, ByItself {
    }

    /**
     * The template: inbox row and {@code effect} in one Hibernate transaction; {@code alreadyApplied}
     * (nullable) may skip that transaction when the effect is found in place.
     */
    record InTransaction<T>(RawEffect<T> effect, AlreadyApplied<T> alreadyApplied, AlreadyAppliedBatch<T> alreadyAppliedBatch)
            implements Application<T> {
        InTransaction {
            java.util.Objects.requireNonNull(effect, "effect");
        }

        InTransaction(RawEffect<T> effect, AlreadyApplied<T> alreadyApplied) {
            this(effect, alreadyApplied, null);
        }
    }

    /**
     * An effect idempotent by itself ({@link IdempotentEffect}): applied alone, no inbox row, no session;
     * {@code batch} (nullable) applies many such events in one statement.
     */
    record ByItself<T>(IdempotentEffect<T> effect, IdempotentBatchEffect<T> batch) implements Application<T> {
        ByItself {
            java.util.Objects.requireNonNull(effect, "effect");
        }
    }

    /**
     * What a consumer does for an event it has just parked after its last retry, beyond leaving it to an operator:
     * for an event that cost the reseller money, undo that (order.paid: fail and refund the order) rather than keep
     * it charged until someone replays it. It runs once the dead letter is written, in its own transaction; if it
     * fails, it is logged and the event stays parked as before. {@code failure}: the last attempt's error.
     */
    @FunctionalInterface
    public interface ParkedCompensation<T> {
        Uni<?> apply(EventEnvelope<T> event, String failure);
    }

    /**
     * Sets what follows the parking of one of this consumer's events ({@link ParkedCompensation}; none by default)
     * and returns this consumer. Not for unreadable messages: they name no event to compensate.
     */
    public EventConsumer<T> onParked(ParkedCompensation<T> compensation) {
        this.parked = compensation;
        return this;
    }

    /** The effect of one event, applied inside the transaction that records the event as processed. */
    @FunctionalInterface
    public interface Effect<T> {
        Uni<?> apply(Mutiny.Session session, EventEnvelope<T> event);
    }

    /** An effect that also needs the message exactly as it arrived (to store or sign it byte for byte). */
    @FunctionalInterface
    public interface RawEffect<T> {
        Uni<?> apply(Mutiny.Session session, EventEnvelope<T> event, String json);
    }

    /**
     * An effect that is idempotent by itself, applied without the template's inbox row and Hibernate session:
     * one statement on the Vert.x Pool that either only moves a state forward ({@code update … where status =
     * any(<the states before the target>)}), so a redelivery, or an event older than the state, finds nothing
     * to change; or that inserts its own inbox row and applies the effect only with it, in the same statement
     * ({@link Inbox#FIRST_DELIVERY}). It runs in its own transaction (one statement is one). Retries and
     * parking as for every consumer.
     */
    @FunctionalInterface
    public interface IdempotentEffect<T> {
        /** {@code json}: the message exactly as it arrived (to store or sign it byte for byte). */
        Uni<?> apply(EventEnvelope<T> event, String json);
    }

    /**
     * The events of one Kafka poll applied in one statement: must leave the database exactly as applying each
     * event's {@link IdempotentEffect} one after the other would (so the same event twice in a batch, or an
     * event already applied, changes nothing), and fail as a whole or not at all. A failure sends every event
     * of the batch down the per-event path, where retries and parking work per event.
     */
    @FunctionalInterface
    public interface IdempotentBatchEffect<T> {
        /** {@code events}: every readable event of the poll, in the poll's order (at least two). */
        Uni<?> apply(List<EventEnvelope<T>> events);
    }

    /**
     * {@link IdempotentBatchEffect} with the messages exactly as they arrived ({@code jsons.get(i)} is
     * {@code events.get(i)}'s text), for an effect that stores or signs them byte for byte; also the effect of a
     * poll that spans several consumers ({@link #consumePoll}), which tells their events apart by
     * {@link EventEnvelope#type()}.
     */
    @FunctionalInterface
    public interface RawIdempotentBatchEffect<T> {
        /** {@code events}: every readable event of the poll, in the poll's order (at least two); {@code jsons} their texts. */
        Uni<?> apply(List<EventEnvelope<T>> events, List<String> jsons);
    }

    /**
     * One message of a poll that spans several consumers (a pattern subscription over several topics, whose
     * consumers share the data type {@code T}): the consumer of the message's topic and the message value.
     */
    public record Polled<T>(EventConsumer<T> consumer, String json) {
        public Polled {
            java.util.Objects.requireNonNull(consumer, "consumer");
        }
    }

    /**
     * A read, outside any transaction, that finds the event's effect already in place, so the consumer can
     * acknowledge it without the write transaction and without an inbox row. Only for an effect whose
     * "already in place" can never become false again (a state that only moves forward): then a redelivery
     * finds it in place as well, and the inbox row would add nothing. True: skip; false (or a failure of
     * the read): the normal path (inbox row and effect in one transaction, retries, parking).
     */
    @FunctionalInterface
    public interface AlreadyApplied<T> {
        Uni<Boolean> test(EventEnvelope<T> event);
    }

    /**
     * {@link AlreadyApplied} for every event of one Kafka poll in one read: answers the ids of the events found
     * applied (the same rule: only where "applied" can never become false again). The others go the normal
     * path one by one; a failure of the read sends them all that way.
     */
    @FunctionalInterface
    public interface AlreadyAppliedBatch<T> {
        /** {@code events}: every readable event of the poll (at least two); returns the ids found applied. */
        Uni<java.util.Set<java.util.UUID>> test(List<EventEnvelope<T>> events);
    }

    /** Backoff between attempts: {@code retries} retries after the first attempt, {@code initial} doubling up to {@code max}. */
    public record RetryPolicy(int retries, Duration initial, Duration max) {
    }

    public String handler() {
        return handler;
    }

    public String eventType() {
        return eventType;
    }

    /** Consumes one Kafka message value (the envelope JSON). Never fails while the database can park. */
    public Uni<Void> consume(String json) {
        EventEnvelope<T> event;
        try {
            event = parse(json);
        } catch (IllegalArgumentException e) {
            return parkUnreadable(json, e);
        }
        Executor onContext = onCurrentContext();
        AlreadyApplied<T> alreadyApplied = application instanceof InTransaction<T> tx ? tx.alreadyApplied() : null;
        if (alreadyApplied == null) {
            return applyWithRetries(event, json, onContext);
        }
        return Uni.createFrom().deferred(() -> alreadyApplied.test(event))
                .onFailure().recoverWithItem(false)
                .chain(applied -> {
                    if (Boolean.TRUE.equals(applied)) {
                        LOG.debugf("%s: event %s found applied, skipped", handler, event.id());
                        return Uni.createFrom().voidItem();
                    }
                    return applyWithRetries(event, json, onContext).runSubscriptionOn(onContext);
                });
    }

    /**
     * Consumes the message values of one Kafka poll (channel {@code batch=true}; the list is never empty).
     * Unreadable messages are parked one by one, exactly as {@link #consume} parks them. With at least two readable
     * ones: an {@link IdempotentBatchEffect} applies them in one statement (if that statement fails, each is
     * consumed on its own: {@link #consume}, retries, then parking; see {@link #consumePoll}); an
     * {@link AlreadyAppliedBatch} reads which are applied already in one read, and the others are applied one by
     * one in order. Without either, every message is consumed on its own, in order. Completing acknowledges the
     * whole poll.
     */
    public Uni<Void> consumeBatch(List<String> jsons) {
        List<Polled<T>> poll = jsons.stream().map(json -> new Polled<>(this, json)).toList();
        if (application instanceof ByItself<T> byItself && byItself.batch() != null) {
            IdempotentBatchEffect<T> batch = byItself.batch();
            return consumePoll(poll, (events, texts) -> batch.apply(events));
        }
        Executor onContext = onCurrentContext();
        AlreadyAppliedBatch<T> check = application instanceof InTransaction<T> tx ? tx.alreadyAppliedBatch() : null;
        if (check == null || poll.size() < 2) {
            return consumeEach(poll, onContext);
        }
        Read<T> read = read(poll);
        if (read.events().size() < 2) {
            return read.parking().chain(() -> consumeEach(read.messages(), onContext));
        }
        return read.parking().chain(() -> Uni.createFrom().deferred(() -> check.test(read.events()))
                .runSubscriptionOn(onContext)
                .onFailure().recoverWithItem(java.util.Set.of())
                .chain(applied -> {
                    Uni<Void> chain = Uni.createFrom().voidItem();
                    for (int i = 0; i < read.events().size(); i++) {
                        EventEnvelope<T> event = read.events().get(i);
                        String json = read.messages().get(i).json();
                        if (applied.contains(event.id())) {
                            LOG.debugf("%s: event %s found applied, skipped", handler, event.id());
                            continue;
                        }
                        chain = chain.chain(() -> applyWithRetries(event, json, onContext));
                    }
                    return chain;
                }));
    }

    /**
     * {@link #consumeBatch}'s one statement ({@link RawIdempotentBatchEffect}), for a poll whose messages may belong
     * to several consumers ({@link Polled}: a pattern subscription over several topics, such as webhook-service's fan-out):
     * every readable event of the poll, whatever its consumer, goes into one application of {@code batch} (one
     * statement). A message its consumer cannot read is parked by that consumer, as {@link #consume} parks it. If
     * {@code batch} fails, every readable message is consumed on its own by its consumer ({@link #consume}:
     * retries, then parking, each on its own), and the fallback is logged and counted once for each handler whose
     * events it concerned ({@code proxyvault_events_batch_fallbacks_total{handler}}). Fewer than two readable
     * messages: each on its own, with no batch. Messages are taken in the poll's order; completing acknowledges
     * the whole poll.
     *
     * @param poll  the poll's messages with their consumers (never empty)
     * @param batch must leave the database as applying each event with its consumer's effect one after the other
     *              would (docs/events.md "Batches"), and fail as a whole or not at all
     */
    public static <T> Uni<Void> consumePoll(List<Polled<T>> poll, RawIdempotentBatchEffect<T> batch) {
        Executor onContext = onCurrentContext();
        if (poll.size() < 2) {
            return consumeEach(poll, onContext);
        }
        Read<T> read = read(poll);
        if (read.events().size() < 2) {
            return read.parking().chain(() -> consumeEach(read.messages(), onContext));
        }
        List<String> jsons = read.messages().stream().map(Polled::json).toList();
        return read.parking().chain(() -> Uni.createFrom().deferred(() -> batch.apply(read.events(), jsons)).replaceWithVoid()
                .runSubscriptionOn(onContext)
                .onFailure().recoverWithUni(e -> {
                    List<EventConsumer<T>> consumers = read.messages().stream().map(Polled::consumer).distinct().toList();
                    LOG.warnf("%s: applying %d events in one statement failed (%s); applying them one by one",
                            String.join(", ", consumers.stream().map(EventConsumer::handler).toList()),
                            read.events().size(), e.toString());
                    // counted: a batch statement that keeps failing costs a transaction per event again, quietly
                    consumers.forEach(consumer -> consumer.metrics.counter("proxyvault.events.batch.fallbacks",
                            "handler", consumer.handler).increment());
                    return consumeEach(read.messages(), onContext);
                }));
    }

    /**
     * A poll read: its readable messages and their events (same order), and {@code parking}: the parking of the
     * others, each by its own consumer ({@link #parkUnreadable}), to run before the rest (nothing runs until it
     * is subscribed).
     */
    private record Read<T>(List<EventEnvelope<T>> events, List<Polled<T>> messages, Uni<Void> parking) {
    }

    private static <T> Read<T> read(List<Polled<T>> poll) {
        List<EventEnvelope<T>> events = new ArrayList<>(poll.size());
        List<Polled<T>> readable = new ArrayList<>(poll.size());
        Uni<Void> parking = Uni.createFrom().voidItem();
        for (Polled<T> message : poll) {
            try {
                events.add(message.consumer().parse(message.json()));
                readable.add(message);
            } catch (IllegalArgumentException e) {
                parking = parking.chain(() -> message.consumer().parkUnreadable(message.json(), e));
            }
        }
        return new Read<>(events, readable, parking);
    }

    /** {@link #consume} for each message, one after the other by its consumer, each started on the poll's context. */
    private static <T> Uni<Void> consumeEach(List<Polled<T>> poll, Executor onContext) {
        Uni<Void> chain = Uni.createFrom().voidItem();
        for (Polled<T> message : poll) {
            chain = chain.chain(() -> Uni.createFrom().deferred(() -> message.consumer().consume(message.json()))
                    .runSubscriptionOn(onContext));
        }
        return chain;
    }

    /**
     * Parks a message that cannot be read (not JSON, not an envelope, the wrong type for the topic, no reseller):
     * it can never succeed, so at once, with no retry and no event id. The one way {@link #consume},
     * {@link #consumeBatch} and {@link #consumePoll} park such a message.
     */
    private Uni<Void> parkUnreadable(String json, IllegalArgumentException unreadable) {
        LOG.errorf("%s: parking an unreadable %s message: %s", handler, eventType, unreadable.getMessage());
        return deadLetters.park(handler, eventType, null, json, unreadable.getMessage(), 0);
    }

    /**
     * Applies the event, retrying a failed attempt with the backoff of {@link RetryPolicy}, then parks it. A
     * failure the database says the same statement will meet again ({@link #isDeterministic}) gets one retry, not
     * the whole policy: the consumer holds its partition while it retries, so a renewal refused by a CHECK held every
     * later event of that partition for the policy's ~6 s (new-user review, docs/events.md "Delivery guarantees").
     * The one retry stays for a unique violation that a racing redelivery caused: its retry finds the inbox row.
     */
    private Uni<Void> applyWithRetries(EventEnvelope<T> event, String json, Executor onContext) {
        AtomicInteger attempts = new AtomicInteger();
        return Uni.createFrom().deferred(() -> {
                    attempts.incrementAndGet();
                    return applyOnce(event, json);
                })
                .runSubscriptionOn(onContext)
                .onFailure().invoke(e -> LOG.warnf("%s: applying event %s failed (%s)", handler, event.id(), e.toString()))
                .onFailure(e -> !isDeterministic(e) || attempts.get() < 2)
                .retry().withBackOff(retry.initial(), retry.max()).atMost(retry.retries())
                .onFailure().recoverWithUni(e -> {
                    LOG.errorf("%s: event %s failed %d times, parking it in dead_letter_events: %s", handler, event.id(),
                            attempts.get(), e.toString());
                    return deadLetters.park(handler, eventType, event.id(), json, e.toString(), attempts.get())
                            .chain(() -> compensate(event, e, onContext))
                            .runSubscriptionOn(onContext);
                });
    }

    /**
     * Whether {@code failure} is PostgreSQL refusing the statement itself, which a retry meets again: SQLSTATE
     * classes 22 (data exception: a value out of range, a division by zero), 23 (integrity constraint: CHECK, NOT
     * NULL, foreign or unique key; our triggers raise their refusals with these codes) and 42 (syntax or access
     * rule: a statement that can never run). Everything else (connection lost, deadlock or serialization failure,
     * shutdown, a timeout, a RAISE without a code, an error of the consumer's own code) may pass on a later attempt
     * and gets the full policy, unless the handler marked it a {@link Refusal}. PostgreSQL appendix A, "Error Codes".
     */
    static boolean isDeterministic(Throwable failure) {
        for (Throwable cause = failure; cause != null && cause.getCause() != cause; cause = cause.getCause()) {
            if (cause instanceof Refusal) {
                return true; // the handler's own "no, and no again" (a business rule)
            }
            String sqlState = cause instanceof PgException refused ? refused.getSqlState()
                    : cause instanceof JDBCException converted ? converted.getSQLState()
                    : cause instanceof SQLException sql ? sql.getSQLState() : null;
            if (sqlState != null) {
                return sqlState.startsWith("22") || sqlState.startsWith("23") || sqlState.startsWith("42");
            }
        }
        return false;
    }

    /** Runs the {@link ParkedCompensation} of a just parked event, if any; never fails (a failure is logged). */
    private Uni<Void> compensate(EventEnvelope<T> event, Throwable failure, Executor onContext) {
        ParkedCompensation<T> compensation = parked;
        if (compensation == null) {
            return Uni.createFrom().voidItem();
        }
        return Uni.createFrom().deferred(() -> compensation.apply(event, failure.toString()))
                .runSubscriptionOn(onContext)
                .replaceWithVoid()
                .onFailure().recoverWithUni(e -> {
                    LOG.errorf("%s: compensating parked event %s failed, it stays parked for an operator: %s", handler,
                            event.id(), e.toString());
                    return Uni.createFrom().voidItem();
                });
    }

    /** One attempt without retry or parking: what an operator's replay of a parked message does. */
    Uni<Void> applyOnce(String json) {
        EventEnvelope<T> event = parse(json);
        return applyOnce(event, json);
    }

    private Uni<Void> applyOnce(EventEnvelope<T> event, String json) {
        if (application instanceof ByItself<T> byItself) {
            return Uni.createFrom().deferred(() -> byItself.effect().apply(event, json)).replaceWithVoid();
        }
        RawEffect<T> effect = ((InTransaction<T>) application).effect();
        return sessionFactory.withTransaction(session -> Inbox.firstDelivery(session, event.id(), handler)
                .chain(first -> first
                        ? effect.apply(session, event, json).replaceWithVoid()
                        : Uni.createFrom().voidItem()
                                .invoke(() -> LOG.debugf("%s: event %s already applied", handler, event.id()))));
    }

    private EventEnvelope<T> parse(String json) {
        if (json == null || json.isBlank()) {
            throw new IllegalArgumentException("empty message");
        }
        EventEnvelope<T> event = EventJson.read(mapper, json, dataType);
        if (event.id() == null || event.data() == null) {
            throw new IllegalArgumentException("event without id or data");
        }
        if (!eventType.equals(event.type())) {
            throw new IllegalArgumentException("event " + event.id() + " has type '" + event.type() + "' on the "
                    + eventType + " topic");
        }
        // Fleet-wide events (location.updated) are about no reseller and carry 0; every other event names one.
        if (event.resellerId() <= 0 && !(event.resellerId() == 0 && EventTypes.FLEET_WIDE.contains(eventType))) {
            throw new IllegalArgumentException("event " + event.id() + " has no reseller_id");
        }
        return event;
    }

    /** Retries resubscribe from a timer thread: hop back to the message's Vert.x context every time. */
    private static Executor onCurrentContext() {
        Context context = Vertx.currentContext();
        return context == null ? Runnable::run : command -> context.runOnContext(ignored -> command.run());
    }
}
