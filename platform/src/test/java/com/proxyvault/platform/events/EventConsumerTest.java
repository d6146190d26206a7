package com.proxyvault.platform.events;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.proxyvault.contracts.events.EventEnvelope;
import com.proxyvault.contracts.events.EventJson;
import com.proxyvault.contracts.events.EventTypes;
import com.proxyvault.contracts.events.LocationUpdated;
import com.proxyvault.contracts.events.ProxyExpired;
import com.proxyvault.contracts.events.ProxyProvisionFailed;
import com.proxyvault.platform.auth.InternalTokens;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.vertx.RunOnVertxContext;
import io.quarkus.test.vertx.UniAsserter;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The consumer template, once for every service: dedup, retry, parking and replay, against the real
 * database. The effect writes a row to {@code effects} and fails while {@link #failuresLeft} is positive;
 * the %test retry policy is 2 retries, 50-100 ms apart.
 */
@QuarkusTest
class EventConsumerTest {

    static final AtomicInteger failuresLeft = new AtomicInteger();
    static final AtomicInteger attempts = new AtomicInteger();

    @Inject
    EventConsumers consumers;
    @Inject
    ObjectMapper mapper;
    @Inject
    Pool pool;
    @Inject
    io.micrometer.core.instrument.MeterRegistry metrics;

    private EventConsumer<ProxyProvisionFailed> consumer;

    private synchronized EventConsumer<ProxyProvisionFailed> consumer() {
        if (consumer == null) {
            consumer = consumers.consumer("test-effect-" + System.nanoTime(), EventTypes.PROXY_PROVISION_FAILED,
                    ProxyProvisionFailed.class, (session, event) -> {
                        attempts.incrementAndGet();
                        if (failuresLeft.getAndDecrement() > 0) {
                            return Uni.createFrom().failure(new IllegalStateException("injected failure"));
                        }
                        Effect effect = new Effect();
                        effect.eventId = event.id();
                        effect.note = event.data().reason();
                        return session.persist(effect);
                    });
        }
        return consumer;
    }

    /** The template's effect for {@link #checkedConsumer} and kin: counts the attempt, persists one row. */
    private static Uni<Void> countedEffect(org.hibernate.reactive.mutiny.Mutiny.Session session,
                                           EventEnvelope<ProxyProvisionFailed> event) {
        attempts.incrementAndGet();
        Effect effect = new Effect();
        effect.eventId = event.id();
        effect.note = event.data().reason();
        return session.persist(effect);
    }

    /** An effect idempotent by itself: the event's row, unless it is there already (one statement). */
    private Uni<io.vertx.mutiny.sqlclient.RowSet<io.vertx.mutiny.sqlclient.Row>> insertEffect(EventEnvelope<ProxyProvisionFailed> event) {
        return pool.preparedQuery("""
                        insert into effects (event_id, note) select $1, $2
                        where not exists (select 1 from effects where event_id = $1)""")
                .execute(io.vertx.mutiny.sqlclient.Tuple.of(event.id(), event.data().reason()));
    }

    private EventEnvelope<ProxyProvisionFailed> event(String reason) {
        return EventEnvelope.of(EventTypes.PROXY_PROVISION_FAILED, 7, new ProxyProvisionFailed(42, reason));
    }

    private Uni<Long> count(String sql) {
        return pool.query(sql).execute().map(rows -> rows.iterator().next().getLong(0));
    }

    @Test
    @RunOnVertxContext
    void shouldApplyAnEventOnceWhenItIsDeliveredTwice(UniAsserter asserter) {
        EventEnvelope<ProxyProvisionFailed> event = event("twice");
        String json = EventJson.write(mapper, event);
        asserter.execute(() -> {
            failuresLeft.set(0);
            attempts.set(0);
        });
        asserter.execute(() -> consumer().consume(json));
        asserter.execute(() -> consumer().consume(json));
        asserter.assertEquals(() -> count("select count(*) from effects where event_id = '" + event.id() + "'"), 1L);
        asserter.execute(() -> assertEquals(1, attempts.get()));
    }

    /** Effect in place when the event's reason starts with "done": what a state check would read. */
    private EventConsumer<ProxyProvisionFailed> checked;

    private synchronized EventConsumer<ProxyProvisionFailed> checkedConsumer() {
        if (checked == null) {
            checked = consumers.consumer("test-checked-" + System.nanoTime(), EventTypes.PROXY_PROVISION_FAILED,
                    ProxyProvisionFailed.class,
                    event -> event.data().reason().startsWith("broken")
                            ? Uni.createFrom().failure(new IllegalStateException("injected read failure"))
                            : Uni.createFrom().item(event.data().reason().startsWith("done")),
                    EventConsumerTest::countedEffect);
        }
        return checked;
    }

    @Test
    @RunOnVertxContext
    void shouldSkipTheTransactionWhenTheEffectIsAlreadyInPlace(UniAsserter asserter) {
        EventEnvelope<ProxyProvisionFailed> event = event("done already");
        asserter.execute(() -> attempts.set(0));
        asserter.execute(() -> checkedConsumer().consume(EventJson.write(mapper, event)));
        asserter.execute(() -> assertEquals(0, attempts.get()));
        asserter.assertEquals(() -> count("select count(*) from processed_events where event_id = '" + event.id() + "'"), 0L);
        asserter.assertEquals(() -> count("select count(*) from effects where event_id = '" + event.id() + "'"), 0L);
    }

    @Test
    @RunOnVertxContext
    void shouldApplyOnceThroughTheInboxWhenTheCheckFindsNothingOrFails(UniAsserter asserter) {
        EventEnvelope<ProxyProvisionFailed> open = event("not yet");
        EventEnvelope<ProxyProvisionFailed> unreadable = event("broken check");
        asserter.execute(() -> attempts.set(0));
        asserter.execute(() -> checkedConsumer().consume(EventJson.write(mapper, open)));
        asserter.execute(() -> checkedConsumer().consume(EventJson.write(mapper, open)));
        asserter.execute(() -> checkedConsumer().consume(EventJson.write(mapper, unreadable)));
        asserter.execute(() -> assertEquals(2, attempts.get()));
        asserter.assertEquals(() -> count("select count(*) from effects where event_id in ('" + open.id() + "', '"
                + unreadable.id() + "')"), 2L);
        asserter.assertEquals(() -> count("select count(*) from processed_events where event_id in ('" + open.id() + "', '"
                + unreadable.id() + "')"), 2L);
    }

    private EventConsumer<ProxyProvisionFailed> idempotent;

    /** An effect idempotent by itself: writes its row unless the event's row is there already. */
    private synchronized EventConsumer<ProxyProvisionFailed> idempotentConsumer() {
        if (idempotent == null) {
            idempotent = consumers.idempotentConsumer("test-idempotent-" + System.nanoTime(), EventTypes.PROXY_PROVISION_FAILED,
                    ProxyProvisionFailed.class, (event, json) -> {
                        attempts.incrementAndGet();
                        if (failuresLeft.getAndDecrement() > 0) {
                            return Uni.createFrom().failure(new IllegalStateException("injected failure"));
                        }
                        return insertEffect(event);
                    });
        }
        return idempotent;
    }

    @Test
    @RunOnVertxContext
    void shouldApplyAnIdempotentEffectWithRetriesAndWithoutAnInboxRow(UniAsserter asserter) {
        EventEnvelope<ProxyProvisionFailed> event = event("idempotent");
        String json = EventJson.write(mapper, event);
        asserter.execute(() -> {
            failuresLeft.set(1);
            attempts.set(0);
        });
        asserter.execute(() -> idempotentConsumer().consume(json));
        asserter.execute(() -> idempotentConsumer().consume(json));
        asserter.execute(() -> assertEquals(3, attempts.get(), "one retry, then the redelivery runs the effect again"));
        asserter.assertEquals(() -> count("select count(*) from effects where event_id = '" + event.id() + "'"), 1L);
        asserter.assertEquals(() -> count("select count(*) from processed_events where event_id = '" + event.id() + "'"), 0L);
    }

    static final AtomicInteger batchCalls = new AtomicInteger();
    static final AtomicInteger batchFailuresLeft = new AtomicInteger();
    private EventConsumer<ProxyProvisionFailed> batched;

    /**
     * {@link #idempotentConsumer}'s effect, plus the same effect for a whole poll in one statement (an unnest of
     * the poll's ids and reasons), which fails while {@link #batchFailuresLeft} is positive.
     */
    private synchronized EventConsumer<ProxyProvisionFailed> batchedConsumer() {
        if (batched == null) {
            batched = consumers.idempotentConsumer("test-batched-" + System.nanoTime(), EventTypes.PROXY_PROVISION_FAILED,
                    ProxyProvisionFailed.class, (event, json) -> {
                        attempts.incrementAndGet();
                        return insertEffect(event);
                    }, events -> {
                        batchCalls.incrementAndGet();
                        if (batchFailuresLeft.getAndDecrement() > 0) {
                            return Uni.createFrom().failure(new IllegalStateException("injected batch failure"));
                        }
                        return pool.preparedQuery("""
                                        insert into effects (event_id, note)
                                        select distinct on (v.id) v.id, v.note from unnest($1::uuid[], $2::text[]) as v(id, note)
                                        where not exists (select 1 from effects e where e.event_id = v.id)""")
                                .execute(io.vertx.mutiny.sqlclient.Tuple.of(
                                        events.stream().map(EventEnvelope::id).toArray(java.util.UUID[]::new),
                                        events.stream().map(event -> event.data().reason()).toArray(String[]::new)));
                    });
        }
        return batched;
    }

    @Test
    @RunOnVertxContext
    void shouldApplyAPollInOneStatementAndParkOnlyItsUnreadableMessage(UniAsserter asserter) {
        EventEnvelope<ProxyProvisionFailed> first = event("batch one");
        EventEnvelope<ProxyProvisionFailed> second = event("batch two");
        long marker = System.nanoTime();
        String garbage = "not an event " + marker;
        java.util.List<String> poll = java.util.List.of(EventJson.write(mapper, first), EventJson.write(mapper, second),
                garbage, EventJson.write(mapper, first)); // a redelivery of the first inside the same poll
        asserter.execute(() -> {
            batchCalls.set(0);
            batchFailuresLeft.set(0);
            attempts.set(0);
        });
        asserter.execute(() -> batchedConsumer().consumeBatch(poll));
        asserter.execute(() -> assertEquals(1, batchCalls.get(), "one statement for the poll"));
        asserter.execute(() -> assertEquals(0, attempts.get(), "no event went the per-event way"));
        asserter.assertEquals(() -> count("select count(*) from effects where event_id in ('" + first.id() + "', '"
                + second.id() + "')"), 2L);
        asserter.assertEquals(() -> count("select count(*) from dead_letter_events where handler = '"
                + batchedConsumer().handler() + "' and payload like '%" + marker + "%'"), 1L);
    }

    static final AtomicInteger singleChecks = new AtomicInteger();
    private EventConsumer<ProxyProvisionFailed> checkedBatch;

    /** {@link #checkedConsumer}'s rule ("done…" is in place), with a check for a whole poll too. */
    private synchronized EventConsumer<ProxyProvisionFailed> checkedBatchConsumer() {
        if (checkedBatch == null) {
            checkedBatch = consumers.consumer("test-checked-batch-" + System.nanoTime(), EventTypes.PROXY_PROVISION_FAILED,
                    ProxyProvisionFailed.class,
                    event -> {
                        singleChecks.incrementAndGet();
                        return Uni.createFrom().item(event.data().reason().startsWith("done"));
                    },
                    events -> {
                        batchCalls.incrementAndGet();
                        return Uni.createFrom().item(events.stream().filter(event -> event.data().reason().startsWith("done"))
                                .map(EventEnvelope::id).collect(java.util.stream.Collectors.toSet()));
                    },
                    EventConsumerTest::countedEffect);
        }
        return checkedBatch;
    }

    @Test
    @RunOnVertxContext
    void shouldCheckAPollInOneReadAndApplyOnlyTheEventsNotInPlace(UniAsserter asserter) {
        EventEnvelope<ProxyProvisionFailed> done = event("done by pay");
        EventEnvelope<ProxyProvisionFailed> open = event("open one");
        String openJson = EventJson.write(mapper, open);
        asserter.execute(() -> {
            batchCalls.set(0);
            singleChecks.set(0);
            attempts.set(0);
        });
        asserter.execute(() -> checkedBatchConsumer().consumeBatch(java.util.List.of(EventJson.write(mapper, done), openJson, openJson)));
        asserter.execute(() -> assertEquals(1, batchCalls.get(), "one read for the poll"));
        asserter.execute(() -> assertEquals(0, singleChecks.get(), "no read per event"));
        asserter.execute(() -> assertEquals(1, attempts.get(), "the open event applied once: its redelivery in the poll finds the inbox row"));
        asserter.assertEquals(() -> count("select count(*) from effects where event_id = '" + open.id() + "'"), 1L);
        asserter.assertEquals(() -> count("select count(*) from effects where event_id = '" + done.id() + "'"), 0L);
        asserter.assertEquals(() -> count("select count(*) from processed_events where event_id = '" + open.id() + "'"), 1L);
    }

    @Test
    @RunOnVertxContext
    void shouldApplyEachEventOnItsOwnWhenThePollsStatementFails(UniAsserter asserter) {
        EventEnvelope<ProxyProvisionFailed> first = event("fallback one");
        EventEnvelope<ProxyProvisionFailed> second = event("fallback two");
        asserter.execute(() -> {
            batchCalls.set(0);
            batchFailuresLeft.set(1);
            attempts.set(0);
        });
        asserter.execute(() -> batchedConsumer().consumeBatch(
                java.util.List.of(EventJson.write(mapper, first), EventJson.write(mapper, second))));
        asserter.execute(() -> assertEquals(1, batchCalls.get()));
        asserter.execute(() -> assertEquals(2, attempts.get(), "each event once on its own"));
        asserter.execute(() -> assertEquals(1.0, metrics.counter("proxyvault.events.batch.fallbacks", "handler",
                batchedConsumer().handler()).count(), "counted"));
        asserter.assertEquals(() -> count("select count(*) from effects where event_id in ('" + first.id() + "', '"
                + second.id() + "')"), 2L);
    }

    @Test
    @RunOnVertxContext
    void shouldParkAnUnreadableMessageOfAPollExactlyAsConsumeParksIt(UniAsserter asserter) {
        // The same unreadable text once through consume and once inside a poll of each batch form (one statement;
        // one read; too few readable events for either): every row alike, one per parking, the others applied.
        long marker = System.nanoTime();
        String garbage = "{\"id\": \"not a uuid\", \"marker\": " + marker + "}";
        EventEnvelope<ProxyProvisionFailed> open = event("open with garbage");
        EventEnvelope<ProxyProvisionFailed> done = event("done with garbage");
        EventEnvelope<ProxyProvisionFailed> alone = event("alone with garbage");
        EventEnvelope<ProxyProvisionFailed> checkedOpen = event("checked with garbage");
        asserter.execute(() -> {
            batchFailuresLeft.set(0);
            attempts.set(0);
        });
        asserter.execute(() -> batchedConsumer().consume(garbage));
        asserter.execute(() -> batchedConsumer().consumeBatch(java.util.List.of(EventJson.write(mapper, open), garbage,
                EventJson.write(mapper, done))));
        asserter.execute(() -> batchedConsumer().consumeBatch(java.util.List.of(garbage, EventJson.write(mapper, alone))));
        asserter.execute(() -> checkedBatchConsumer().consume(garbage));
        asserter.execute(() -> checkedBatchConsumer().consumeBatch(java.util.List.of(EventJson.write(mapper, done), garbage,
                EventJson.write(mapper, checkedOpen))));
        asserter.assertEquals(() -> count("select count(*) from dead_letter_events where handler = '" + batchedConsumer().handler()
                + "' and payload like '%" + marker + "%'"), 3L);
        asserter.assertEquals(() -> count("select count(*) from dead_letter_events where handler = '"
                + checkedBatchConsumer().handler() + "' and payload like '%" + marker + "%'"), 2L);
        asserter.assertEquals(() -> count("select count(distinct concat_ws('|', handler, event_type, coalesce(event_id::text, 'none'), payload, error, attempts)) "
                + "from dead_letter_events where payload like '%" + marker + "%'"), 2L);
        asserter.assertEquals(() -> count("select count(*) from dead_letter_events where payload like '%" + marker
                + "%' and (event_id is not null or attempts <> 0 or event_type <> '" + EventTypes.PROXY_PROVISION_FAILED + "')"), 0L);
        asserter.assertEquals(() -> count("select count(*) from effects where event_id in ('" + open.id() + "', '"
                + done.id() + "', '" + alone.id() + "', '" + checkedOpen.id() + "')"), 4L);
    }

    /** A consumer of {@code type} with JSON data, applying an event by inserting its row (note: the type). */
    private EventConsumer<com.fasterxml.jackson.databind.JsonNode> jsonConsumer(String type) {
        return consumers.idempotentConsumer("test-poll-" + type + "-" + System.nanoTime(), type,
                com.fasterxml.jackson.databind.JsonNode.class, (event, json) -> {
                    attempts.incrementAndGet();
                    return pool.preparedQuery("""
                                    insert into effects (event_id, note) select $1, $2
                                    where not exists (select 1 from effects where event_id = $1)""")
                            .execute(io.vertx.mutiny.sqlclient.Tuple.of(event.id(), event.type()));
                });
    }

    /** One statement for a poll of several consumers: each event's row, noted with its type; fails while asked to. */
    private Uni<?> insertPoll(java.util.List<EventEnvelope<com.fasterxml.jackson.databind.JsonNode>> events,
                              java.util.List<String> jsons) {
        batchCalls.incrementAndGet();
        if (batchFailuresLeft.getAndDecrement() > 0) {
            return Uni.createFrom().failure(new IllegalStateException("injected poll failure"));
        }
        for (int i = 0; i < events.size(); i++) {
            assertTrue(jsons.get(i).contains(events.get(i).id().toString()), "each event with its own text");
        }
        return pool.preparedQuery("""
                        insert into effects (event_id, note)
                        select distinct on (v.id) v.id, v.note from unnest($1::uuid[], $2::text[]) as v(id, note)
                        where not exists (select 1 from effects e where e.event_id = v.id)""")
                .execute(io.vertx.mutiny.sqlclient.Tuple.of(
                        events.stream().map(EventEnvelope::id).toArray(java.util.UUID[]::new),
                        events.stream().map(EventEnvelope::type).toArray(String[]::new)));
    }

    /** Counters for a poll whose statement fails {@code failures} times. */
    private static void resetPoll(int failures) {
        batchCalls.set(0);
        batchFailuresLeft.set(failures);
        attempts.set(0);
    }

    /** How many of the events have their row, noted with their own type. */
    private Uni<Long> appliedAsTheirTypes(EventEnvelope<?>... events) {
        return count("select count(*) from effects where (event_id, note) in (" + java.util.Arrays.stream(events)
                .map(event -> "('" + event.id() + "', '" + event.type() + "')")
                .collect(java.util.stream.Collectors.joining(", ")) + ")");
    }

    @Test
    @RunOnVertxContext
    void shouldApplyAPollOfSeveralConsumersInOneStatementAndParkEachUnreadableMessageWithItsConsumer(UniAsserter asserter) {
        TwoConsumers two = twoConsumers("poll one");
        String secondJson = EventJson.write(mapper, two.expiredEvent());
        long marker = System.nanoTime();
        java.util.List<EventConsumer.Polled<com.fasterxml.jackson.databind.JsonNode>> poll = java.util.List.of(
                new EventConsumer.Polled<>(two.failed(), EventJson.write(mapper, two.failedEvent())),
                new EventConsumer.Polled<>(two.expired(), secondJson),
                new EventConsumer.Polled<>(two.expired(), "not an event " + marker),
                new EventConsumer.Polled<>(two.failed(), secondJson), // readable, but on the wrong topic for its type
                new EventConsumer.Polled<>(two.expired(), secondJson)); // a redelivery inside the same poll
        asserter.execute(() -> resetPoll(0));
        asserter.execute(() -> EventConsumer.consumePoll(poll, this::insertPoll));
        asserter.execute(() -> assertEquals(1, batchCalls.get(), "one statement for the poll"));
        asserter.execute(() -> assertEquals(0, attempts.get(), "no event went the per-event way"));
        asserter.assertEquals(() -> appliedAsTheirTypes(two.failedEvent(), two.expiredEvent()), 2L);
        asserter.assertEquals(() -> count("select count(*) from dead_letter_events where handler = '" + two.expired().handler()
                + "' and event_type = '" + EventTypes.PROXY_EXPIRED + "' and payload like '%" + marker + "%'"), 1L);
        asserter.assertEquals(() -> count("select count(*) from dead_letter_events where handler = '" + two.failed().handler()
                + "' and event_id is null and error like '%has type ''proxy.expired'' on the proxy.provision_failed topic%'"), 1L);
    }

    @Test
    @RunOnVertxContext
    void shouldApplyEachEventOfAFailedPollThroughItsOwnConsumerAndCountTheFallbackForEach(UniAsserter asserter) {
        TwoConsumers two = twoConsumers("poll fallback");
        asserter.execute(() -> resetPoll(1));
        asserter.execute(() -> EventConsumer.consumePoll(java.util.List.of(
                new EventConsumer.Polled<>(two.failed(), EventJson.write(mapper, two.failedEvent())),
                new EventConsumer.Polled<>(two.expired(), EventJson.write(mapper, two.expiredEvent()))), this::insertPoll));
        asserter.execute(() -> assertEquals(1, batchCalls.get()));
        asserter.execute(() -> assertEquals(2, attempts.get(), "each event once, by its own consumer"));
        asserter.assertEquals(() -> appliedAsTheirTypes(two.failedEvent(), two.expiredEvent()), 2L);
        for (EventConsumer<?> consumer : java.util.List.of(two.failed(), two.expired())) {
            asserter.execute(() -> assertEquals(1.0, metrics.counter("proxyvault.events.batch.fallbacks", "handler",
                    consumer.handler()).count(), consumer.handler()));
        }
    }

    /** Two consumers of one pattern subscription (their own types, JSON data), and an event for each. */
    private record TwoConsumers(EventConsumer<com.fasterxml.jackson.databind.JsonNode> failed,
                                EventConsumer<com.fasterxml.jackson.databind.JsonNode> expired,
                                EventEnvelope<ProxyProvisionFailed> failedEvent, EventEnvelope<ProxyExpired> expiredEvent) {
    }

    private TwoConsumers twoConsumers(String reason) {
        return new TwoConsumers(jsonConsumer(EventTypes.PROXY_PROVISION_FAILED), jsonConsumer(EventTypes.PROXY_EXPIRED),
                event(reason), EventEnvelope.of(EventTypes.PROXY_EXPIRED, 7, new ProxyExpired(7, 42,
                java.time.LocalDateTime.now(java.time.ZoneOffset.UTC).truncatedTo(java.time.temporal.ChronoUnit.SECONDS))));
    }


    @Test
    @RunOnVertxContext
    void shouldRetryAFailingEffectAndApplyItOnce(UniAsserter asserter) {
        EventEnvelope<ProxyProvisionFailed> event = event("retried");
        asserter.execute(() -> {
            failuresLeft.set(2);
            attempts.set(0);
        });
        asserter.execute(() -> consumer().consume(EventJson.write(mapper, event)));
        asserter.assertEquals(() -> count("select count(*) from effects where event_id = '" + event.id() + "'"), 1L);
        asserter.execute(() -> assertEquals(3, attempts.get()));
        asserter.assertEquals(() -> count("select count(*) from dead_letter_events where event_id = '" + event.id() + "'"), 0L);
    }

    @Test
    @RunOnVertxContext
    void shouldParkAnEventThatKeepsFailingAndGoOn(UniAsserter asserter) {
        EventEnvelope<ProxyProvisionFailed> event = event("parked");
        asserter.execute(() -> {
            failuresLeft.set(Integer.MAX_VALUE);
            attempts.set(0);
        });
        // completes (the Kafka record would be acked): the partition is not blocked
        asserter.execute(() -> consumer().consume(EventJson.write(mapper, event)));
        asserter.execute(() -> assertEquals(3, attempts.get()));
        asserter.assertEquals(() -> count("select count(*) from effects where event_id = '" + event.id() + "'"), 0L);
        asserter.assertEquals(() -> count("select count(*) from dead_letter_events where event_id = '" + event.id()
                + "' and attempts = 3 and error like '%injected failure%' and replayed_at is null"), 1L);
        asserter.execute(() -> assertEquals(1.0, metrics.counter("proxyvault.events.parked", "handler", consumer().handler()).count(),
                "counted for the alert"));
    }

    /**
     * A statement PostgreSQL refuses as such (here a division by zero, SQLSTATE 22012; a CHECK violation alike) fails
     * every time: one retry, then parked, rather than the policy's whole backoff with the partition held (a renewal
     * refused by a CHECK held a partition ~6 s; new-user review).
     */
    @Test
    @RunOnVertxContext
    void shouldParkARefusedStatementAfterOneRetry(UniAsserter asserter) {
        EventEnvelope<ProxyProvisionFailed> event = event("refused");
        AtomicInteger tries = new AtomicInteger();
        EventConsumer<ProxyProvisionFailed> refused = consumers.consumer("test-refused-" + System.nanoTime(),
                EventTypes.PROXY_PROVISION_FAILED, ProxyProvisionFailed.class, (session, e) -> {
                    tries.incrementAndGet();
                    return session.createNativeQuery("select 1 / (select 0)", Integer.class).getSingleResult().replaceWithVoid();
                });
        asserter.execute(() -> refused.consume(EventJson.write(mapper, event)));
        asserter.execute(() -> assertEquals(2, tries.get(), "the first attempt and one retry; the policy allows 3"));
        asserter.assertEquals(() -> count("select count(*) from dead_letter_events where event_id = '" + event.id()
                + "' and attempts = 2 and error like '%division by zero%'"), 1L);
    }

    /**
     * A consumer's {@link EventConsumer.ParkedCompensation} runs once its event is parked, with the last error (the
     * fleet fails and refunds a parked order.paid with it); the dead letter is already written by then.
     */
    @Test
    @RunOnVertxContext
    void shouldRunTheCompensationOnceTheEventIsParked(UniAsserter asserter) {
        EventEnvelope<ProxyProvisionFailed> event = event("compensated");
        java.util.concurrent.atomic.AtomicReference<String> compensated = new java.util.concurrent.atomic.AtomicReference<>();
        EventConsumer<ProxyProvisionFailed> failing = consumers.consumer("test-parked-" + System.nanoTime(),
                        EventTypes.PROXY_PROVISION_FAILED, ProxyProvisionFailed.class,
                        (session, e) -> Uni.createFrom().failure(new IllegalStateException("always")))
                .onParked((parked, failure) -> count("select count(*) from dead_letter_events where event_id = '"
                        + parked.id() + "'").invoke(letters -> compensated.set(letters + " " + failure)));
        asserter.execute(() -> failing.consume(EventJson.write(mapper, event)));
        asserter.execute(() -> assertEquals("1 java.lang.IllegalStateException: always", compensated.get()));
    }

    /** location.updated is about no reseller (reseller_id 0); any other event without one is parked unread. */
    @Test
    @RunOnVertxContext
    void shouldAcceptResellerZeroOnlyForAFleetWideEvent(UniAsserter asserter) {
        AtomicInteger applied = new AtomicInteger();
        EventConsumer<LocationUpdated> locations = consumers.idempotentConsumer("test-location-" + System.nanoTime(),
                EventTypes.LOCATION_UPDATED, LocationUpdated.class, (event, json) -> Uni.createFrom().item(applied.incrementAndGet()));
        String location = EventJson.write(mapper, EventEnvelope.of(EventTypes.LOCATION_UPDATED, 0,
                new LocationUpdated("LAX", "Los Angeles", false, true, 1)));
        EventEnvelope<ProxyProvisionFailed> noReseller = EventEnvelope.of(EventTypes.PROXY_PROVISION_FAILED, 0,
                new ProxyProvisionFailed(42, "no reseller"));
        asserter.execute(() -> locations.consume(location));
        asserter.execute(() -> assertEquals(1, applied.get()));
        asserter.execute(() -> consumer().consume(EventJson.write(mapper, noReseller)));
        asserter.assertEquals(() -> count("select count(*) from dead_letter_events where payload like '%" + noReseller.id()
                + "%' and error like '%has no reseller_id%'"), 1L);
    }

    @Test
    @RunOnVertxContext
    void shouldParkAnUnreadableMessageAtOnce(UniAsserter asserter) {
        String marker = "not-json-" + System.nanoTime();
        asserter.execute(() -> attempts.set(0));
        asserter.execute(() -> consumer().consume("{" + marker));
        asserter.execute(() -> assertEquals(0, attempts.get()));
        asserter.assertEquals(() -> count("select count(*) from dead_letter_events where payload = '{" + marker
                + "' and event_id is null and attempts = 0"), 1L);
    }

    @Test
    void shouldReplayAParkedEventOnceThroughItsHandler() throws Throwable {
        EventEnvelope<ProxyProvisionFailed> event = event("replayed");
        failuresLeft.set(Integer.MAX_VALUE);
        // park it through the template, on a Vert.x context
        io.quarkus.vertx.VertxContextSupport.subscribeAndAwait(() -> consumer().consume(EventJson.write(mapper, event)));
        long parked = io.quarkus.vertx.VertxContextSupport.subscribeAndAwait(
                () -> count("select id from dead_letter_events where event_id = '" + event.id() + "'"));
        failuresLeft.set(0);

        String operator = InternalTokens.to("platform-test").operator();
        // the listing counts what it pages through: total of the filter, whatever the page
        long pending = io.quarkus.vertx.VertxContextSupport.subscribeAndAwait(
                () -> count("select count(*) from dead_letter_events where replayed_at is null"));
        given().auth().oauth2(operator).get("/internal/dead-letters?limit=1&offset=0").then().statusCode(200)
                .body("total", org.hamcrest.Matchers.equalTo((int) pending))
                .body("dead_letters.size()", org.hamcrest.Matchers.equalTo(1));
        given().auth().oauth2(operator).post("/internal/dead-letters/" + parked + "/replay")
                .then().statusCode(200).body("replayed_at", notNullValue());
        given().auth().oauth2(operator).post("/internal/dead-letters/" + parked + "/replay").then().statusCode(409);
        given().auth().oauth2(InternalTokens.to("platform-test").reseller(7)).get("/internal/dead-letters").then().statusCode(403);
        given().auth().oauth2(operator).post("/internal/dead-letters/999999999/replay").then().statusCode(404);
        long applied = io.quarkus.vertx.VertxContextSupport.subscribeAndAwait(
                () -> count("select count(*) from effects where event_id = '" + event.id() + "'"));
        assertEquals(1L, applied);
        assertTrue(attempts.get() > 0);
    }
}
