package com.proxyvault.platform.events;

import com.proxyvault.platform.http.ApiException;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Provider;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Parked events: messages a consumer could not apply ({@code dead_letter_events}, one table per service
 * database, DDL in {@code docs/events.md}). A parked message stays until an operator replays it through
 * the handler that parked it ({@code POST /internal/dead-letters/{id}/replay}); a replay that succeeds
 * stamps {@code replayed_at}. Plain SQL on the reactive pool: parking must not share the failed
 * transaction's session.
 */
@Singleton
public class DeadLetters {

    private static final Logger LOG = Logger.getLogger(DeadLetters.class);
    private static final int MAX_ERROR_LENGTH = 2000;

    private final Pool pool;
    private final Provider<EventConsumers> consumers;
    private final MeterRegistry metrics;

    public DeadLetters(Pool pool, Provider<EventConsumers> consumers, MeterRegistry metrics) {
        this.pool = pool;
        this.consumers = consumers;
        this.metrics = metrics;
    }

    /** One parked message as the operator sees it. */
    public record Parked(long id, String handler, String eventType, UUID eventId, String payload, String error,
                         int attempts, LocalDateTime parkedAt, LocalDateTime replayedAt) {
    }

    /**
     * Stores the message. Retried with backoff for as long as it takes (the database is the only thing
     * that can fail here, and dropping the message is not an option); the consumer waits meanwhile.
     */
    public Uni<Void> park(String handler, String eventType, UUID eventId, String payload, String error, int attempts) {
        String text = error == null ? "unknown" : error.length() > MAX_ERROR_LENGTH ? error.substring(0, MAX_ERROR_LENGTH) : error;
        return Uni.createFrom().deferred(() -> pool.preparedQuery("""
                                insert into dead_letter_events (handler, event_type, event_id, payload, error, attempts)
                                values ($1, $2, $3, $4, $5, $6)
                                on conflict (handler, event_id) where replayed_at is null and event_id is not null
                                do nothing""")
                        .execute(Tuple.of(handler, eventType, eventId, payload == null ? "" : payload, text, attempts)))
                .onFailure().invoke(e -> LOG.errorf("Parking a %s message for %s failed, retrying: %s", eventType, handler, e.toString()))
                .onFailure().retry().withBackOff(Duration.ofMillis(500), Duration.ofSeconds(30)).indefinitely()
                // proxyvault_events_parked_total{handler}: worth an alert (a parked refund is money owed)
                .invoke(() -> metrics.counter("proxyvault.events.parked", "handler", handler).increment())
                .replaceWithVoid();
    }

    /** The newest parked messages first; {@code pending} only those not replayed yet. */
    public Uni<List<Parked>> list(boolean pending, int limit, int offset) {
        return pool.preparedQuery("""
                        select * from dead_letter_events where ($1 = false or replayed_at is null)
                        order by id desc limit $2 offset $3""")
                .execute(Tuple.of(pending, limit, offset))
                .map(rows -> {
                    List<Parked> parked = new ArrayList<>(rows.size());
                    rows.forEach(row -> parked.add(toParked(row)));
                    return parked;
                });
    }

    /**
     * How many parked messages {@link #list} pages through ({@code pending}: those not replayed yet): the {@code total}
     * every other operator list has, so that parked messages past the first page are known to exist (new-user
     * review 5, finding 14).
     */
    public Uni<Long> count(boolean pending) {
        return pool.preparedQuery("select count(*) from dead_letter_events where ($1 = false or replayed_at is null)")
                .execute(Tuple.of(pending))
                .map(rows -> rows.iterator().next().getLong(0));
    }

    /**
     * Applies a parked message again through its handler (exactly once: the handler's inbox still
     * deduplicates). 404 when there is no such row, 409 when it was replayed already or its handler is
     * gone, 409 with the error when the handler fails again (the row stays parked).
     */
    public Uni<Parked> replay(long id) {
        return pool.preparedQuery("select * from dead_letter_events where id = $1").execute(Tuple.of(id))
                .map(rows -> {
                    if (rows.rowCount() == 0) {
                        throw ApiException.notFound("Dead letter not found");
                    }
                    return toParked(rows.iterator().next());
                })
                .chain(parked -> {
                    if (parked.replayedAt() != null) {
                        return Uni.createFrom().failure(ApiException.conflict("Dead letter was replayed already"));
                    }
                    EventConsumer<?> consumer = consumers.get().byHandler(parked.handler()).orElseThrow(
                            () -> ApiException.conflict("No consumer named " + parked.handler() + " runs in this service"));
                    return Uni.createFrom().deferred(() -> consumer.applyOnce(parked.payload()))
                            .onFailure().transform(e -> ApiException.conflict("Replay failed: " + e.getMessage()))
                            .chain(() -> pool.preparedQuery("""
                                            update dead_letter_events set replayed_at = (now() at time zone 'utc')
                                            where id = $1 and replayed_at is null returning *""")
                                    .execute(Tuple.of(id)))
                            .map(rows -> {
                                if (rows.rowCount() == 0) {
                                    // a concurrent replay stamped it first (this one was a no-op by the inbox)
                                    throw ApiException.conflict("Dead letter was replayed already");
                                }
                                return toParked(rows.iterator().next());
                            });
                });
    }

    private static Parked toParked(Row row) {
        return new Parked(row.getLong("id"), row.getString("handler"), row.getString("event_type"),
                row.getUUID("event_id"), row.getString("payload"), row.getString("error"), row.getInteger("attempts"),
                row.getLocalDateTime("parked_at"), row.getLocalDateTime("replayed_at"));
    }
}
