package com.proxyvault.gateway.idempotency;

import java.util.regex.Pattern;

/** The {@code Idempotency-Key} protocol's names and rules (docs/api.md, "Idempotency-Key"). */
public final class IdempotencyKeys {

    /** The request header carrying the key. */
    public static final String HEADER = "Idempotency-Key";
    /** Set to {@code true} on an answer replayed from the store. */
    public static final String REPLAYED_HEADER = "Idempotent-Replayed";
    /** 422 code: the key was used for another request (method, path or body differ). */
    public static final String CODE_REUSED = "idempotency_key_reused";
    /** 409 code: the first request with this key is still being processed. */
    public static final String CODE_IN_PROGRESS = "idempotency_in_progress";
    /** 422 code of an invalid key (the general validation code). */
    public static final String CODE_INVALID = "validation_failed";
    /** Longest accepted key, in characters. */
    public static final int MAX_LENGTH = 255;

    /** The reseller endpoints that honour the header: POST only (issue 6). */
    private static final Pattern ENDPOINTS = Pattern.compile("/v1/reseller/(orders|orders/[^/]+/pay|webhooks|keys)/?");

    private IdempotencyKeys() {
    }

    /** True for 1 to {@value #MAX_LENGTH} printable ASCII characters (0x20 to 0x7E); null is invalid. */
    public static boolean isValid(String key) {
        if (key == null || key.isEmpty() || key.length() > MAX_LENGTH) {
            return false;
        }
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c < 0x20 || c > 0x7E) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether a request may carry the header: {@code POST /v1/reseller/orders}, {@code .../orders/{id}/pay},
     * {@code .../webhooks}, {@code .../keys} ({@code path} without the query). Elsewhere it is ignored.
     */
    public static boolean appliesTo(String method, String path) {
        return "POST".equalsIgnoreCase(method) && path != null && ENDPOINTS.matcher(path).matches();
    }
}
