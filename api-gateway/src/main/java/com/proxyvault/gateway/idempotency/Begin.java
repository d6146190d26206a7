package com.proxyvault.gateway.idempotency;

import java.util.UUID;

/**
 * What {@link IdempotencyStore#begin} found for a request carrying an {@code Idempotency-Key}; the gateway
 * answers each case differently (docs/api.md, "Idempotency-Key").
 */
public sealed interface Begin {

    /**
     * The key is this request's now: forward it, then hand the answer to
     * {@link IdempotencyStore#complete} (or {@link IdempotencyStore#release} if there is none) with this token.
     */
    record Proceed(Token token) implements Begin {
    }

    /**
     * The same request was answered before: send this answer again, with {@code Idempotent-Replayed: true},
     * without forwarding. {@code contentType} may be null (the first answer had none).
     */
    record Replay(int status, String contentType, byte[] body) implements Begin {
    }

    /** The first request with this key is still in flight: 409 {@code idempotency_in_progress}. */
    record InProgress() implements Begin {
    }

    /** The key was used for another request (method, path or body differ): 422 {@code idempotency_key_reused}. */
    record Mismatch() implements Begin {
    }

    /**
     * Proof of holding a key: only the holder can complete or release it, and not any more once its lease
     * ran out and another request took the key over. Opaque to callers.
     */
    record Token(long resellerId, String key, UUID lease) {
    }
}
