package com.proxyvault.webhooks.delivery;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.proxyvault.webhooks.WebhooksConfig;
import com.proxyvault.webhooks.events.WebhookPayload;
import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The dispatcher's queries. They are set-based ({@code update ... returning}, {@code skip locked}), which
 * plain SQL on the reactive pool expresses directly; Hibernate is used where entities help (the API).
 *
 * <p>Claiming is a lease rather than a lock held across the HTTP call: the claim pushes
 * {@code next_attempt_at} forward by the lease and commits at once, so no database connection waits on a
 * slow receiver, and a dispatcher that dies mid-attempt only delays the retry until the lease runs out.
 * {@code for update skip locked} keeps concurrent dispatchers (replicas) from claiming the same rows.
 *
 * <p>Successful attempts, by far the most common outcome, are recorded by group commit: the first success
 * after a quiet moment waits up to {@code proxyvault.webhooks.success-linger} (50 ms) for others to share its
 * statement, successes that end while a batch is being written queue up, and each write takes all that are
 * queued (at most {@link #MAX_SUCCESS_BATCH}) in one statement. A success whose slot is wanted (its endpoint
 * or the replica is at its limit: {@code slotWanted}) ends the wait at once, and so does shutdown
 * ({@link #onStop}). Each attempt's {@code record} still completes only once its own row is committed, so a
 * slot is never freed before its attempt is on disk. bench/webhooks measured the per-attempt transaction
 * (five round trips) as the dispatcher's cost (docs/benchmarks.md, "Webhooks"); at bench/pay's 60 events/s
 * most successes ended alone, one statement each, which the wait turns into one per several.
 */
@ApplicationScoped
public class DeliveryStore {

    private static final Logger LOG = Logger.getLogger(DeliveryStore.class);
    private static final int MAX_ERROR_LENGTH = 500;

    /** Most successful attempts one group commit writes. */
    static final int MAX_SUCCESS_BATCH = 500;

    private final Pool pool;
    private final ObjectMapper mapper;
    private final Vertx vertx;
    /** How long the first queued success waits for others before it is written; zero once stopping. */
    private volatile long successLingerMs;
    /** Successful attempts waiting for the next group commit. */
    private final Queue<QueuedSuccess> successes = new ConcurrentLinkedQueue<>();
    /** Guards the two fields below and the decisions taken on the queue's size. */
    private final Object successLock = new Object();
    /** A batch is being written; the timer ending the current wait (-1: none). */
    private boolean writingSuccesses;
    private long lingerTimer = -1;
    /** Completed when nothing is queued or being written any more, after {@link #onStop}. */
    private final CompletableFuture<Void> drainedAfterStop = new CompletableFuture<>();
    /** Set by {@link #onStop} (under {@link #successLock}). */
    private boolean stopping;

    private record QueuedSuccess(AttemptOutcome outcome, io.smallrye.mutiny.subscription.UniEmitter<? super Void> done) {
    }

    public DeliveryStore(Pool pool, ObjectMapper mapper, Vertx vertx, WebhooksConfig config) {
        this.pool = pool;
        this.mapper = mapper;
        this.vertx = vertx;
        this.successLingerMs = config.successLinger().toMillis();
    }

    /**
     * The claim ({@link #claimDue}; $1 limit, $2 lease in seconds, $3/$4 attempts in flight by webhook id, $5 the
     * per-endpoint limit), sent as one line so the Vert.x client keeps it prepared (2048 characters at most:
     * DeliveryStoreStatementTest). Its steps:
     * <ol>
     * <li>{@code busy}, {@code held}: this replica's attempts in flight by endpoint and by reseller;</li>
     * <li>{@code pending}: every endpoint that has a pending delivery with its earliest {@code next_attempt_at},
     *     one probe of {@code deliveries_pending_by_webhook} each (a skip scan: the first entry after the last
     *     endpoint's);</li>
     * <li>{@code open}: those with a due delivery that are live, enabled and have free slots on this replica; an
     *     endpoint that is full or only waits for retries is left out here, before any more of its rows is read;</li>
     * <li>{@code picked}: for each open endpoint its oldest due rows, at most its free slots (and {@code limit}),
     *     one range of the same index; {@code turn} numbers them per endpoint from 1 and {@code round} per
     *     reseller, by the endpoint's attempts in flight + turn, then age: within a reseller, every endpoint's
     *     first row before any endpoint's second (an attempt in flight counts as a row taken); the reseller's
     *     attempts in flight are added to {@code round};</li>
     * <li>{@code due}: the first {@code limit} by (round, age): every reseller's first row before any reseller's
     *     second, the reseller with fewer attempts in flight first (so a claim with room for one row, as when a
     *     full replica frees a slot, goes to the reseller holding the fewest, not to the oldest backlog); locked
     *     with {@code skip locked} and "still due" repeated;</li>
     * <li>the lease: {@code attempts} + 1 and {@code next_attempt_at} pushed by $2 seconds.</li>
     * </ol>
     */
    static final String CLAIM = """
            with recursive busy as (
                select b.*, w.reseller_id from unnest($3::bigint[], $4::int[]) as b(webhook_id, in_flight)
                join webhooks w on w.id = b.webhook_id),
            held as (select reseller_id, sum(in_flight) as n from busy group by 1),
            pending(webhook_id, at) as (
                (select webhook_id, next_attempt_at from deliveries where status = 'pending'
                 order by webhook_id, next_attempt_at, id limit 1)
                union all
                select n.* from pending p cross join lateral (
                    select webhook_id, next_attempt_at from deliveries where status = 'pending' and webhook_id > p.webhook_id
                    order by webhook_id, next_attempt_at, id limit 1) n),
            open as (
                select w.id, w.reseller_id, coalesce(b.in_flight, 0) as used
                from pending p join webhooks w on w.id = p.webhook_id and w.deleted_at is null and w.disabled_at is null
                left join busy b on b.webhook_id = w.id
                where p.at <= (now() at time zone 'utc') and coalesce(b.in_flight, 0) < $5::int),
            picked as (
                select c.id, c.at, coalesce(h.n, 0) + row_number() over (
                    partition by o.reseller_id order by o.used + c.turn, c.at, c.id) as round
                from open o left join held h on h.reseller_id = o.reseller_id cross join lateral (
                    select d.id, d.next_attempt_at as at, row_number() over (order by d.next_attempt_at, d.id) as turn
                    from deliveries d
                    where d.webhook_id = o.id and d.status = 'pending' and d.next_attempt_at <= (now() at time zone 'utc')
                    order by d.next_attempt_at, d.id
                    limit least($5::int - o.used, $1::int)) c),
            due as (
                select d.id from picked p join deliveries d on d.id = p.id
                where d.status = 'pending' and d.next_attempt_at <= (now() at time zone 'utc')
                order by p.round, p.at, p.id
                limit $1::int
                for update of d skip locked)
            update deliveries d
            set attempts = d.attempts + 1,
                next_attempt_at = (now() at time zone 'utc') + make_interval(secs => $2)
            from due, webhooks w
            where d.id = due.id and w.id = d.webhook_id
            returning d.id, d.webhook_id, d.attempts, d.event_type, d.event_id, d.payload, w.url, w.secret,
                      case when w.previous_secret_expires_at > (now() at time zone 'utc')
                           then w.previous_secret end as previous_secret""".replaceAll("\\s+", " ").strip();

    /**
     * Claims up to {@code limit} due pending deliveries of live, enabled endpoints for one attempt each, at most
     * {@code perEndpoint} per endpoint counting those {@code inFlight} already, each endpoint's oldest first.
     *
     * <p>Work is found per endpoint ({@link #CLAIM}), never in a window of the oldest due rows of all endpoints:
     * the claim before 2026-12-03 read the 2,000 oldest due rows and only then dropped those of full endpoints,
     * so three endpoints answering after 14 s with 3,500 replayed rows kept another reseller's test pending for
     * minutes, and an old bench's dead endpoints delayed a 5-second retry by 2 minutes (hostile review, HIGH).
     * Now every endpoint with due rows and a free slot on this replica is in every claim: it reads at most its
     * free slots of rows per such endpoint (8 by default) plus one index probe per endpoint with pending rows,
     * however long any backlog is. When {@code limit} is smaller than what is due, the rows are taken round-robin
     * across resellers, and within a reseller across its endpoints, counting the attempts each has in flight on
     * this replica as rows already taken (docs/webhooks.md "Fair order"): a reseller with many endpoints or a long
     * backlog gets one row per round like everyone else, and gets it after those with fewer attempts in flight.
     *
     * <p>{@code picked} reads the statement's snapshot without locks; {@code due} locks (skipping rows another
     * claim holds) and repeats "still due". That repetition is what keeps two concurrent claims (replicas) apart:
     * a row another claim leased and committed after this statement's snapshot is not skipped (its lock is gone),
     * and PostgreSQL re-evaluates only {@code due}'s own conditions on the row's newest version, where the lease
     * has moved {@code next_attempt_at} into the future. Without it both claims returned the row and it was sent
     * twice (WebhookDeliveryTest, concurrent claims).
     *
     * @param limit       most rows claimed (the replica's room, at most the batch size)
     * @param perEndpoint the per-endpoint limit ({@code proxyvault.webhooks.endpoint-concurrency})
     * @param inFlight    attempts this replica has in flight, by webhook id
     * @param lease       how far {@code next_attempt_at} is pushed (longer than an attempt can take)
     */
    public Uni<List<DueDelivery>> claimDue(int limit, int perEndpoint, Map<Long, Integer> inFlight, Duration lease) {
        EndpointsInFlight busy = EndpointsInFlight.of(inFlight);
        return pool.preparedQuery(CLAIM)
                .execute(Tuple.tuple(List.of(limit, lease.toMillis() / 1000.0, busy.webhookIds(), busy.counts(), perEndpoint)))
                .map(rows -> {
                    List<DueDelivery> due = new ArrayList<>(rows.size());
                    for (Row row : rows) {
                        due.add(new DueDelivery(row.getLong("id"), row.getLong("webhook_id"), row.getInteger("attempts"),
                                row.getString("event_type"), row.getUUID("event_id").toString(), row.getString("payload"),
                                row.getString("url"), row.getString("secret"), row.getString("previous_secret")));
                    }
                    return due;
                });
    }

    /**
     * Records one attempt and its consequences in one transaction: the attempt row; the delivery delivered,
     * pending again after the schedule's wait (at least the receiver's {@code Retry-After}), or failed when
     * no retry is left or the answer was 410; the endpoint's health (a success clears {@code failing_since};
     * a 410, or failing since at least {@code disableAfter}, disables it, see {@link #disable}). A delivery
     * cancelled meanwhile (webhook deleted) keeps its status; its attempt is still recorded because it did happen.
     *
     * @param slotWanted whether a claim is waiting for this attempt's slot (its endpoint or the replica at its
     *                   limit): a success is then written without waiting for others to share its statement
     */
    public Uni<Void> record(AttemptOutcome outcome, RetrySchedule schedule, Duration disableAfter, boolean slotWanted) {
        if (outcome.success()) {
            return Uni.createFrom().emitter(done -> queueSuccess(new QueuedSuccess(outcome, done), slotWanted));
        }
        DueDelivery delivery = outcome.delivery();
        Tuple attempt = Tuple.of(delivery.id(), delivery.webhookId(), delivery.eventType(), delivery.attempt(), outcome.success())
                .addInteger(outcome.responseStatus())
                .addString(truncate(outcome.error()))
                .addLocalDateTime(outcome.attemptedAt())
                .addUUID(UUID.fromString(delivery.eventId()))
                .addInteger((int) Math.min(Integer.MAX_VALUE, outcome.durationMs()))
                .addString(outcome.responseBody() == null ? null : outcome.responseBody().replace("\u0000", ""));
        return pool.withTransaction(connection -> connection.preparedQuery("""
                                insert into delivery_attempts (delivery_id, webhook_id, event_type, attempt, success,
                                    response_status, error, attempted_at, event_id, duration_ms, response_body)
                                values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)""")
                        .execute(attempt)
                        .chain(() -> connection.preparedQuery("""
                                        update deliveries set status = $2, next_attempt_at = coalesce($3, next_attempt_at)
                                        where id = $1 and status = 'pending'""")
                                .execute(transition(outcome, schedule)))
                        .chain(() -> health(connection, outcome, disableAfter)))
                .replaceWithVoid();
    }

    /**
     * Queues a success for the next group commit: written at once when its slot is wanted, the queue is full or
     * the store is stopping; after the write under way, if there is one (what queued during it has waited long
     * enough); else when the linger ends.
     */
    private void queueSuccess(QueuedSuccess success, boolean slotWanted) {
        synchronized (successLock) {
            successes.add(success);
            if (writingSuccesses) {
                return;
            }
            if (!slotWanted && successLingerMs > 0 && successes.size() < MAX_SUCCESS_BATCH) {
                if (lingerTimer < 0) {
                    lingerTimer = vertx.setTimer(successLingerMs, this::lingerEnded);
                }
                return;
            }
            if (lingerTimer >= 0) {
                vertx.cancelTimer(lingerTimer);
                lingerTimer = -1;
            }
            writingSuccesses = true;
        }
        writeSuccesses();
    }

    private void lingerEnded(long timer) {
        synchronized (successLock) {
            if (timer != lingerTimer || writingSuccesses) {
                return; // cancelled: a success whose slot was wanted started the write
            }
            lingerTimer = -1;
            writingSuccesses = true;
        }
        writeSuccesses();
    }

    /** Writes one batch of the queue; the caller set {@link #writingSuccesses}. */
    private void writeSuccesses() {
        List<QueuedSuccess> batch = new ArrayList<>();
        for (QueuedSuccess next; batch.size() < MAX_SUCCESS_BATCH && (next = successes.poll()) != null; ) {
            batch.add(next);
        }
        if (batch.isEmpty()) {
            successesWritten();
            return;
        }
        Uni.createFrom().deferred(() -> insertSuccesses(batch)).subscribe().with(
                ignored -> {
                    batch.forEach(queued -> queued.done().complete(null));
                    successesWritten();
                },
                failure -> {
                    batch.forEach(queued -> queued.done().fail(failure));
                    successesWritten();
                });
    }

    /** After a write: what queued meanwhile is written at once, else the writer is idle again. */
    private void successesWritten() {
        synchronized (successLock) {
            if (successes.isEmpty()) {
                writingSuccesses = false;
                if (stopping) {
                    drainedAfterStop.complete(null);
                }
                return;
            }
        }
        writeSuccesses();
    }

    /**
     * On shutdown, before the Pool closes: no more waiting, the queued successes are written now (waits at most
     * {@link #STOP_WAIT}). Attempts that end later are written at once. A success left unwritten is only sent
     * again once its lease runs out (receivers deduplicate on {@code webhook-id}).
     */
    void onStop(@Observes ShutdownEvent event) {
        boolean startWrite = false;
        synchronized (successLock) {
            stopping = true;
            successLingerMs = 0;
            if (lingerTimer >= 0) {
                vertx.cancelTimer(lingerTimer);
                lingerTimer = -1;
            }
            // A write under way writes what is queued after it, then completes drainedAfterStop itself.
            if (!writingSuccesses && successes.isEmpty()) {
                drainedAfterStop.complete(null);
            } else if (!writingSuccesses) {
                writingSuccesses = true;
                startWrite = true;
            }
        }
        if (startWrite) {
            writeSuccesses();
        }
        try {
            drainedAfterStop.get(STOP_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.infof("Stopped with successful webhook attempts unrecorded (sent again after their lease): %s", e.toString());
        }
    }

    private static final Duration STOP_WAIT = Duration.ofSeconds(5);

    /**
     * What {@link #record} writes for one success, for a whole batch in one statement (so atomically): the
     * attempt rows, their deliveries delivered (unless cancelled meanwhile), their endpoints' failing_since cleared.
     */
    private Uni<Void> insertSuccesses(List<QueuedSuccess> batch) {
        int n = batch.size();
        Long[] deliveryIds = new Long[n];
        Long[] webhookIds = new Long[n];
        String[] eventTypes = new String[n];
        Integer[] attempts = new Integer[n];
        Integer[] statuses = new Integer[n];
        LocalDateTime[] attemptedAt = new LocalDateTime[n];
        UUID[] eventIds = new UUID[n];
        Integer[] durations = new Integer[n];
        String[] bodies = new String[n];
        for (int i = 0; i < n; i++) {
            AttemptOutcome outcome = batch.get(i).outcome();
            DueDelivery delivery = outcome.delivery();
            deliveryIds[i] = delivery.id();
            webhookIds[i] = delivery.webhookId();
            eventTypes[i] = delivery.eventType();
            attempts[i] = delivery.attempt();
            statuses[i] = outcome.responseStatus();
            attemptedAt[i] = outcome.attemptedAt();
            eventIds[i] = UUID.fromString(delivery.eventId());
            durations[i] = (int) Math.min(Integer.MAX_VALUE, outcome.durationMs());
            bodies[i] = outcome.responseBody() == null ? null : outcome.responseBody().replace("\u0000", "");
        }
        return pool.preparedQuery("""
                        with a as (
                            select * from unnest($1::bigint[], $2::bigint[], $3::text[], $4::int[], $5::int[],
                                                 $6::timestamp[], $7::uuid[], $8::int[], $9::text[])
                                as t(delivery_id, webhook_id, event_type, attempt, response_status, attempted_at,
                                     event_id, duration_ms, response_body)),
                        attempts as (
                            insert into delivery_attempts (delivery_id, webhook_id, event_type, attempt, success,
                                response_status, error, attempted_at, event_id, duration_ms, response_body)
                            select delivery_id, webhook_id, event_type, attempt, true, response_status, null,
                                   attempted_at, event_id, duration_ms, response_body from a),
                        delivered as (
                            update deliveries d set status = 'delivered'
                            from a where d.id = a.delivery_id and d.status = 'pending')
                        update webhooks w set failing_since = null
                        where w.id in (select webhook_id from a) and w.failing_since is not null""")
                .execute(Tuple.tuple(List.of(deliveryIds, webhookIds, eventTypes, attempts, statuses, attemptedAt,
                        eventIds, durations, bodies)))
                .replaceWithVoid();
    }

    /**
     * Since when an endpoint has been failing ($1 webhook id, $2 this failure's time): set to $2 when no run is
     * recorded (the update, which locks the row), else the recorded start read without a lock (the second branch
     * sees the row as the statement found it). No row: the webhook is gone, or a concurrent first failure holds
     * the update (the caller then falls back to the locking form, which waits for it).
     */
    private static final String FAILING_SINCE = """
            with started as (
                update webhooks set failing_since = $2 where id = $1 and failing_since is null returning failing_since)
            select failing_since from started
            union all
            select failing_since from webhooks where id = $1 and failing_since is not null""";

    private Uni<Void> health(SqlConnection connection, AttemptOutcome outcome, Duration disableAfter) {
        long webhookId = outcome.delivery().webhookId();
        if (outcome.success()) {
            return connection.preparedQuery("update webhooks set failing_since = null where id = $1 and failing_since is not null")
                    .execute(Tuple.of(webhookId)).replaceWithVoid();
        }
        // An endpoint that is down fails every delivery, up to endpoint-concurrency of them at once: the run's start
        // is written once, by the first failure (FAILING_SINCE), and read by the others without taking the webhook
        // row's lock, which the old "set failing_since = coalesce(...)" took for the rest of every failure's
        // transaction (4,922 failures of one endpoint in 30 s spent 7.7 s waiting on each other in PostgreSQL).
        return connection.preparedQuery(FAILING_SINCE)
                .execute(Tuple.of(webhookId, outcome.attemptedAt()))
                .chain(rows -> rows.iterator().hasNext() ? Uni.createFrom().item(rows)
                        // the first failure of a run raced another one and lost: read the run's start under the lock
                        : connection.preparedQuery("""
                                        update webhooks set failing_since = coalesce(failing_since, $2)
                                        where id = $1 returning failing_since""")
                                .execute(Tuple.of(webhookId, outcome.attemptedAt())))
                .chain(rows -> {
                    if (!rows.iterator().hasNext()) {
                        return Uni.createFrom().voidItem();
                    }
                    LocalDateTime failingSince = rows.iterator().next().getLocalDateTime("failing_since");
                    if (outcome.gone()) {
                        return disable(connection, webhookId, "the endpoint answered 410 Gone", outcome.attemptedAt());
                    }
                    if (!failingSince.plus(disableAfter).isAfter(outcome.attemptedAt())) {
                        return disable(connection, webhookId, "every attempt failed for " + disableAfter.toDays() + " days",
                                outcome.attemptedAt());
                    }
                    return Uni.createFrom().voidItem();
                });
    }

    /**
     * Disables an enabled endpoint: its pending deliveries become {@code skipped} (replayable after
     * {@code POST /enable}), and a {@code webhook.disabled} event (one event id, the body built by
     * {@link WebhookPayload#webhookDisabled}) is queued for each of the reseller's other live, enabled endpoints
     * that subscribe to it. Nothing happens if it was disabled already.
     */
    private Uni<Void> disable(SqlConnection connection, long webhookId, String reason, LocalDateTime at) {
        return connection.preparedQuery("""
                        update webhooks set disabled_at = $2, disabled_reason = $3
                        where id = $1 and disabled_at is null and deleted_at is null
                        returning reseller_id, url""")
                .execute(Tuple.of(webhookId, at, reason))
                .chain(rows -> {
                    if (!rows.iterator().hasNext()) {
                        return Uni.createFrom().voidItem();
                    }
                    Row disabled = rows.iterator().next();
                    long resellerId = disabled.getLong("reseller_id");
                    UUID eventId = UUID.randomUUID();
                    String payload = WebhookPayload.webhookDisabled(mapper, eventId, resellerId, webhookId,
                            disabled.getString("url"), reason, at);
                    return connection.preparedQuery("update deliveries set status = 'skipped' where webhook_id = $1 and status = 'pending'")
                            .execute(Tuple.of(webhookId))
                            .chain(() -> connection.preparedQuery("""
                                            insert into deliveries (webhook_id, reseller_id, event_id, event_type, payload, origin)
                                            select w.id, w.reseller_id, $3::uuid, 'webhook.disabled', $4::text, 'event'
                                            from webhooks w
                                            where w.reseller_id = $2 and w.id <> $1 and w.deleted_at is null
                                              and w.disabled_at is null
                                              and (w.events = '*' or 'webhook.disabled' = any(string_to_array(w.events, ',')))""")
                                    .execute(Tuple.of(webhookId, resellerId, eventId, payload)))
                            .replaceWithVoid();
                });
    }

    private static Tuple transition(AttemptOutcome outcome, RetrySchedule schedule) {
        long id = outcome.delivery().id();
        if (outcome.success()) {
            return Tuple.of(id, "delivered", null);
        }
        if (outcome.gone()) {
            return Tuple.of(id, "failed", null);
        }
        Optional<Duration> wait = schedule.jittered(outcome.delivery().attempt(), outcome.retryAfter());
        if (wait.isEmpty()) {
            return Tuple.of(id, "failed", null);
        }
        // From the attempt's end, not its start: a receiver that took 12 s to answer 503 with Retry-After: 10 had its
        // retry at once, and a timed-out attempt its 5 s retry straight after the 15 s (hostile review, stop 35, M1).
        LocalDateTime answered = outcome.attemptedAt().plus(Duration.ofMillis(outcome.durationMs()));
        return Tuple.of(id, "pending", answered.plus(wait.get()));
    }

    private static String truncate(String error) {
        return error == null || error.length() <= MAX_ERROR_LENGTH ? error : error.substring(0, MAX_ERROR_LENGTH);
    }
}
