package com.proxyvault.gateway.idempotency;

import com.proxyvault.platform.http.ApiException;
import com.proxyvault.platform.time.ClockProducer;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowIterator;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.Arrays;
import java.util.Locale;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * The {@code Idempotency-Key} store, in the gateway's PostgreSQL (table {@code idempotency_keys}, V2), so
 * every gateway replica sees the same keys. Per (reseller, key) it keeps the request's fingerprint
 * (SHA-256 of method, path and body), whether the request is in flight (under a lease) or answered, and
 * the answer (status, content type, body) to replay until {@code retention} (24 h) after the first request.
 *
 * <p>How the gateway uses it, for the endpoints of {@link IdempotencyKeys#appliesTo}:
 * <pre>
 *   begin(reseller, key, method, path, body)
 *     Proceed(token) → forward; then complete(token, status, contentType, body) with the answer
 *                      (a 5xx is not kept: complete releases it), or release(token) when there is none
 *                      (upstream unreachable, timeout, the gateway's own failure); a released key is
 *                      taken again by the same request only (same fingerprint)
 *     Replay(...)    → that answer again, plus Idempotent-Replayed: true
 *     InProgress     → 409 idempotency_in_progress
 *     Mismatch       → 422 idempotency_key_reused
 *   an invalid key   → begin fails with ApiException 422 (validation_failed)
 * </pre>
 *
 * <p>Plain SQL through the Vert.x {@link Pool} rather than a Panache entity (the house rule: Panache for
 * entities, the pool for set-based SQL): taking a key is one atomic {@code insert … on conflict do update
 * … where <expired or lease over> returning}, which decides between concurrent requests in the database
 * (the primary key serialises them) without a read-then-write race or a transaction held across the
 * forwarded call. Time comes from the injected {@link Clock}; stored times are UTC seconds.
 */
@ApplicationScoped
public class IdempotencyStore {

    private static final Logger LOG = Logger.getLogger(IdempotencyStore.class);

    /** A row the claim did not take but that is gone before it could be read (released, pruned): retry. */
    private static final int CLAIM_ATTEMPTS = 3;

    private static final String CLAIM = """
            insert into idempotency_keys (reseller_id, idempotency_key, fingerprint, state, lease_token, lease_until,
                                          created_at, expires_at)
            values ($1, $2, $3, 'in_progress', $4, $5, $6, $7)
            on conflict (reseller_id, idempotency_key) do update
               set fingerprint = excluded.fingerprint, state = 'in_progress', lease_token = excluded.lease_token,
                   lease_until = excluded.lease_until, response_status = null, response_content_type = null,
                   response_body = null, created_at = excluded.created_at, expires_at = excluded.expires_at
             where idempotency_keys.expires_at <= excluded.created_at
                or (idempotency_keys.state = 'in_progress' and idempotency_keys.lease_until <= excluded.created_at
                    and idempotency_keys.fingerprint = excluded.fingerprint)
            returning lease_token""";

    private static final String READ = """
            select fingerprint, state, response_status, response_content_type, response_body
              from idempotency_keys where reseller_id = $1 and idempotency_key = $2""";

    private static final String COMPLETE = """
            update idempotency_keys
               set state = 'completed', response_status = $4, response_content_type = $5, response_body = $6,
                   lease_token = null, lease_until = null
             where reseller_id = $1 and idempotency_key = $2 and lease_token = $3""";

    // Ends the lease now and keeps the row: the key stays bound to this request's fingerprint (see release)
    private static final String RELEASE = """
            update idempotency_keys set lease_until = $4
             where reseller_id = $1 and idempotency_key = $2 and lease_token = $3 and state = 'in_progress'""";

    // skip locked: replicas pruning at once take different rows instead of queueing on the same ones
    private static final String PRUNE = """
            delete from idempotency_keys where (reseller_id, idempotency_key) in (
                select reseller_id, idempotency_key from idempotency_keys
                 where expires_at <= $1 order by expires_at limit $2 for update skip locked)""";

    private final Pool pool;
    private final Clock clock;
    private final Duration retention;
    private final Duration lease;
    private final int pruneBatch;

    @Inject
    public IdempotencyStore(Pool pool, Clock clock, IdempotencyConfig config) {
        this(pool, clock, config.retention(), config.lease(), config.pruneBatch());
    }

    /** Tests build stores on their own clocks this way. */
    IdempotencyStore(Pool pool, Clock clock, Duration retention, Duration lease, int pruneBatch) {
        this.pool = pool;
        this.clock = clock;
        this.retention = retention;
        this.lease = lease;
        this.pruneBatch = pruneBatch;
    }

    /**
     * Takes {@code key} for this request, or says why not.
     *
     * @param resellerId the authenticated reseller (keys are per reseller: two resellers never collide)
     * @param key        the {@code Idempotency-Key} header value, as received
     * @param method     the HTTP method, e.g. {@code POST}
     * @param path       the request path as forwarded (include the query, if any, when it selects the action)
     * @param body       the request body bytes as received (empty or null for none)
     * @return one of {@link Begin.Proceed}, {@link Begin.Replay}, {@link Begin.InProgress}, {@link Begin.Mismatch};
     * fails with {@link ApiException} 422 when {@code key} is not 1 to 255 printable ASCII characters, and
     * with the database's error when it is unreachable (nothing was taken: answer 503)
     */
    public Uni<Begin> begin(long resellerId, String key, String method, String path, byte[] body) {
        if (!IdempotencyKeys.isValid(key)) {
            return Uni.createFrom().failure(ApiException.unprocessable(
                    "Idempotency-Key must be 1 to " + IdempotencyKeys.MAX_LENGTH + " printable ASCII characters"));
        }
        return claim(resellerId, key, fingerprint(method, path, body), CLAIM_ATTEMPTS);
    }

    private Uni<Begin> claim(long resellerId, String key, byte[] fingerprint, int attemptsLeft) {
        LocalDateTime now = ClockProducer.utcNow(clock);
        UUID leaseToken = UUID.randomUUID();
        Tuple claim = Tuple.tuple().addLong(resellerId).addString(key).addBuffer(Buffer.buffer(fingerprint))
                .addUUID(leaseToken).addLocalDateTime(now.plus(lease)).addLocalDateTime(now)
                .addLocalDateTime(now.plus(retention));
        return pool.preparedQuery(CLAIM).execute(claim).chain(taken -> {
            if (taken.rowCount() == 1) {
                return Uni.createFrom().item(new Begin.Proceed(new Begin.Token(resellerId, key, leaseToken)));
            }
            return pool.preparedQuery(READ).execute(Tuple.of(resellerId, key)).chain(rows -> {
                RowIterator<Row> found = rows.iterator();
                if (!found.hasNext()) {
                    if (attemptsLeft > 1) {
                        return claim(resellerId, key, fingerprint, attemptsLeft - 1);
                    }
                    return Uni.createFrom().failure(ApiException.unavailable("Idempotency-Key store busy, try again"));
                }
                return Uni.createFrom().item(classify(found.next(), fingerprint));
            });
        });
    }

    /**
     * A row the claim could not take: live, and either answered, held by a request within its lease, or left
     * (released, or its holder died) by a request with another fingerprint.
     */
    private static Begin classify(Row row, byte[] fingerprint) {
        // Another request under the same key is the client's mistake whatever the first one's state.
        if (!Arrays.equals(row.getBuffer("fingerprint").getBytes(), fingerprint)) {
            return new Begin.Mismatch();
        }
        if ("completed".equals(row.getString("state"))) {
            return new Begin.Replay(row.getInteger("response_status"), row.getString("response_content_type"),
                    row.getBuffer("response_body").getBytes());
        }
        return new Begin.InProgress();
    }

    /**
     * Stores the answer to replay for the key of {@code token}: 2xx, 3xx and 4xx are final answers and
     * are kept; a 5xx (or a status below 200) is not an answer to repeat, so the key is released instead
     * and a retry runs again. A no-op, logged, if the lease ran out and another request took the key.
     *
     * @param contentType the answer's {@code Content-Type}, or null
     * @param body        the answer's body bytes (null: empty)
     */
    public Uni<Void> complete(Begin.Token token, int status, String contentType, byte[] body) {
        if (status < 200 || status >= 500) {
            return release(token);
        }
        Tuple values = Tuple.tuple().addLong(token.resellerId()).addString(token.key()).addUUID(token.lease())
                .addInteger(status).addString(contentType).addBuffer(Buffer.buffer(body == null ? new byte[0] : body));
        return pool.preparedQuery(COMPLETE).execute(values)
                .invoke(updated -> {
                    if (updated.rowCount() == 0) {
                        LOG.warnf("Idempotency-Key of reseller %d: the answer (%d) came after the %s lease and another"
                                + " request took the key over; not stored", token.resellerId(), status, lease);
                    }
                })
                .replaceWithVoid();
    }

    /**
     * Lets a retry of the request of {@code token} run again (no answer, or a 5xx): its lease ends now, so the
     * next request with the same key <b>and the same fingerprint</b> takes the key over and is forwarded again.
     * The row stays, so until it expires the key is still bound to this request: another request with it gets
     * {@link Begin.Mismatch} (422), as after an answer. Deleting the row instead let a client reuse a key, after a
     * 503, for another order's pay that then ran, and the first order's retry got 422 (new-user review, stop 32;
     * docs/api.md "What is kept and what releases a key"). A no-op if another request took the key over.
     */
    public Uni<Void> release(Begin.Token token) {
        return pool.preparedQuery(RELEASE)
                .execute(Tuple.of(token.resellerId(), token.key(), token.lease(), ClockProducer.utcNow(clock)))
                .replaceWithVoid();
    }

    /** Deletes at most one batch of rows past their expiry (by the clock); returns how many. */
    Uni<Integer> pruneBatch() {
        return pool.preparedQuery(PRUNE)
                .execute(Tuple.of(ClockProducer.utcNow(clock), pruneBatch))
                .map(rows -> rows.rowCount());
    }

    /**
     * Deletes every expired row, batch after batch (expired rows already count as absent; this only keeps
     * the table small). Failures are logged and left to the next run.
     */
    @Scheduled(identity = "idempotency-prune", every = "${proxyvault.gateway.idempotency.prune-interval}",
            delayed = "${proxyvault.gateway.idempotency.prune-interval}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    public Uni<Void> pruneExpired() {
        return pruneBatch()
                .repeat().whilst(deleted -> deleted == pruneBatch)
                .collect().with(Collectors.summingInt(Integer::intValue))
                .invoke(n -> {
                    if (n > 0) {
                        LOG.debugf("Pruned %d expired Idempotency-Key rows", n);
                    }
                })
                .onFailure().invoke(e -> LOG.warnf("Pruning Idempotency-Key rows failed (the next run retries): %s", e.toString()))
                .onFailure().recoverWithNull()
                .replaceWithVoid();
    }

    /** SHA-256 over method, path and body, each length-prefixed so no two requests share an encoding. */
    static byte[] fingerprint(String method, String path, byte[] body) {
        try {
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            for (byte[] part : new byte[][]{method.toUpperCase(Locale.ROOT).getBytes(StandardCharsets.UTF_8),
                    path.getBytes(StandardCharsets.UTF_8), body == null ? new byte[0] : body}) {
                sha256.update(ByteBuffer.allocate(4).putInt(part.length).array());
                sha256.update(part);
            }
            return sha256.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
