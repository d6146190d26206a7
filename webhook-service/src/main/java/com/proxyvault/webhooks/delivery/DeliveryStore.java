package com.proxyvault.webhooks.delivery;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The dispatcher's queries. They are set-based ({@code update ... returning}, {@code skip locked}), which
 * plain SQL on the reactive pool expresses directly; Hibernate is used where entities help (the API).
 *
 * <p>Claiming is a lease rather than a lock held across the HTTP call: the claim pushes
 * {@code next_attempt_at} forward by the lease and commits at once, so no database connection waits on a
 * slow receiver, and a dispatcher that dies mid-attempt only delays the retry until the lease runs out.
 * {@code for update skip locked} keeps concurrent dispatchers (replicas) from claiming the same rows.
 */
@ApplicationScoped
public class DeliveryStore {

    private static final int MAX_ERROR_LENGTH = 500;

    private final Pool pool;

    public DeliveryStore(Pool pool) {
        this.pool = pool;
    }

    /** Claims up to {@code limit} due pending deliveries for one attempt each. */
    public Uni<List<DueDelivery>> claimDue(int limit, Duration lease) {
        return pool.preparedQuery("""
                        with due as (
                            select id from deliveries
                            where status = 'pending' and next_attempt_at <= (now() at time zone 'utc')
                            order by next_attempt_at, id
                            limit $1
                            for update skip locked)
                        update deliveries d
                        set attempts = d.attempts + 1,
                            next_attempt_at = (now() at time zone 'utc') + make_interval(secs => $2)
                        from due, webhooks w
                        where d.id = due.id and w.id = d.webhook_id
                        returning d.id, d.webhook_id, d.attempts, d.event_type, d.payload, w.url, w.secret""")
                .execute(Tuple.of((long) limit, lease.toMillis() / 1000.0))
                .map(rows -> {
                    List<DueDelivery> due = new ArrayList<>(rows.size());
                    for (Row row : rows) {
                        due.add(new DueDelivery(row.getLong("id"), row.getLong("webhook_id"), row.getInteger("attempts"),
                                row.getString("event_type"), row.getString("payload"), row.getString("url"),
                                row.getString("secret")));
                    }
                    return due;
                });
    }

    /**
     * Records the attempts and moves each delivery on: delivered, pending again after the schedule's wait,
     * or failed when no retry is left. A delivery cancelled meanwhile (webhook deleted) keeps its status; its
     * attempt is still recorded because it did happen.
     */
    public Uni<Void> record(List<AttemptOutcome> outcomes, RetrySchedule schedule) {
        if (outcomes.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        List<Tuple> attempts = new ArrayList<>(outcomes.size());
        List<Tuple> transitions = new ArrayList<>(outcomes.size());
        for (AttemptOutcome outcome : outcomes) {
            DueDelivery delivery = outcome.delivery();
            attempts.add(Tuple.of(delivery.id(), delivery.webhookId(), delivery.eventType(), delivery.attempt(), outcome.success())
                    .addInteger(outcome.responseStatus())
                    .addString(truncate(outcome.error()))
                    .addLocalDateTime(outcome.attemptedAt()));
            transitions.add(transition(outcome, schedule));
        }
        return pool.withTransaction(connection -> connection.preparedQuery("""
                                insert into delivery_attempts
                                    (delivery_id, webhook_id, event_type, attempt, success, response_status, error, attempted_at)
                                values ($1, $2, $3, $4, $5, $6, $7, $8)""")
                        .executeBatch(attempts)
                        .chain(() -> connection.preparedQuery("""
                                        update deliveries set status = $2, next_attempt_at = coalesce($3, next_attempt_at)
                                        where id = $1 and status = 'pending'""")
                                .executeBatch(transitions)))
                .replaceWithVoid();
    }

    private static Tuple transition(AttemptOutcome outcome, RetrySchedule schedule) {
        long id = outcome.delivery().id();
        if (outcome.success()) {
            return Tuple.of(id, "delivered", null);
        }
        Optional<Duration> wait = schedule.waitAfterFailedAttempt(outcome.delivery().attempt());
        if (wait.isEmpty()) {
            return Tuple.of(id, "failed", null);
        }
        LocalDateTime next = outcome.attemptedAt().plus(wait.get());
        return Tuple.of(id, "pending", next);
    }

    private static String truncate(String error) {
        return error == null || error.length() <= MAX_ERROR_LENGTH ? error : error.substring(0, MAX_ERROR_LENGTH);
    }
}
