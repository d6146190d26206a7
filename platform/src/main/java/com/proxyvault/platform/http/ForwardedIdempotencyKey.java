package com.proxyvault.platform.http;

/**
 * The {@code Idempotency-Key} request header as the services see it: the gateway checks it, keeps the answer of the
 * first request per key, and forwards the key to the service that writes (docs/api.md "Idempotency-Key", "What the
 * services keep"; draft-ietf-httpapi-idempotency-key-header). The service stores the key with its write, under a
 * unique index per reseller, so a retry the gateway forwards again after giving up on the first request (its upstream
 * timeout; the first may still have finished) finds that write instead of making a second one (new-user review, stop
 * 32, M1). The gateway keeps answering from its own store whenever it has the answer; this is for when it has not.
 * The service keeps the key for {@link #RETENTION} from its write, as long as the gateway does: after it a request
 * with the key runs as new (docs/api.md "What the services keep").
 */
public final class ForwardedIdempotencyKey {

    /** The request header. */
    public static final String HEADER = "Idempotency-Key";
    /** Longest key, in characters (the gateway's rule). */
    public static final int MAX_LENGTH = 255;
    /**
     * How long a service keeps a key with its write, from the write (the row's {@code created_at}; a pay's: the order's
     * {@code paid_at}): the gateway's default {@code proxyvault.gateway.idempotency.retention} (24 h; api-gateway's
     * {@code IdempotencyConfig}). The gateway forgets a key then and forwards a request with it as new; a service that
     * kept it longer answered that request from its old write (an old, maybe expired order; a webhook's secret shown
     * again after a rotation; new-user review). Change the two together.
     */
    public static final java.time.Duration RETENTION = java.time.Duration.ofHours(24);

    private ForwardedIdempotencyKey() {
    }

    /**
     * The key of a request ({@code header}: the header's value, null when absent): null without one, the key when it is
     * 1 to {@value #MAX_LENGTH} printable ASCII characters (0x20 to 0x7E), else 422 {@code validation_failed}.
     */
    public static String of(String header) {
        if (header == null) {
            return null;
        }
        if (header.isEmpty() || header.length() > MAX_LENGTH || !header.chars().allMatch(c -> c >= 0x20 && c <= 0x7E)) {
            throw ApiException.unprocessable("Idempotency-Key must be 1 to " + MAX_LENGTH + " printable ASCII characters");
        }
        return header;
    }

    /**
     * The oldest creation time a write may have and still hold its key at {@code now} (UTC, as stored): a write made at
     * or before {@code now - }{@link #RETENTION} has let it go, as the gateway forgets a key whose {@code expires_at
     * <= now}. Lookups by key find only rows created after it; a new write with the key first clears the key of a row
     * created at or before it.
     */
    public static java.time.LocalDateTime cutoff(java.time.LocalDateTime now) {
        return now.minus(RETENTION);
    }

    /**
     * 422 {@code idempotency_key_reused}: the key was used for another {@code what} ("order", "webhook"), as the
     * gateway answers a key reused with another body.
     */
    public static ApiException reused(String what) {
        return ApiException.unprocessable(ErrorCodes.IDEMPOTENCY_KEY_REUSED,
                "This Idempotency-Key was used for another " + what + ": use a new key for a new request");
    }

    /**
     * Whether {@code failure} is the unique index refusing a second write with a key (PostgreSQL unique_violation,
     * SQL state 23505), through any wrapping: two requests with one key met, and the loser reads the winner's write.
     * Seen as the Vert.x client's {@code PgException} or, through Hibernate Reactive's session, as its
     * {@code SQLException} (static review, stop 32, M2).
     */
    public static boolean isKeyTaken(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof io.vertx.pgclient.PgException pg && "23505".equals(pg.getSqlState())
                    || cause instanceof java.sql.SQLException sql && "23505".equals(sql.getSQLState())) {
                return true;
            }
        }
        return false;
    }
}
