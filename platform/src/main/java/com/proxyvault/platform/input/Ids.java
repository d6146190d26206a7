package com.proxyvault.platform.input;

import com.proxyvault.platform.http.ApiException;

/**
 * Object ids (bigserial, 1..{@link Long#MAX_VALUE}) as they arrive in requests (docs/api.md "Ids").
 * <ul>
 *   <li>In a path, an id is ASCII digits without sign or leading zero, in range; anything else
 *       ({@code 01}, {@code +1}, {@code 1e0}, {@code 0}, {@code 99999999999999999999}, {@code ١}) names no
 *       object: 404 {@code not_found}, exactly like an unknown id or another reseller's object, so a
 *       lenient parse can never reach another row.</li>
 *   <li>In a body, an id is a JSON integer (the strict mapper already refuses strings, floats and numbers
 *       that do not fit a {@code Long}); {@link #body} adds required and positive: 422 naming the field.</li>
 * </ul>
 */
public final class Ids {

    private static final String MAX = Long.toString(Long.MAX_VALUE);

    private Ids() {
    }

    /** The id in a path segment, or 404 {@code not_found} with {@code notFoundDetail} ("Order not found"). */
    public static long path(String raw, String notFoundDetail) {
        if (!isCanonical(raw)) {
            throw ApiException.notFound(notFoundDetail);
        }
        return Long.parseLong(raw);
    }

    /** True for {@code 1..9223372036854775807} written canonically (digits only, no leading zero). */
    public static boolean isCanonical(String raw) {
        if (raw == null || raw.isEmpty() || raw.length() > MAX.length() || raw.charAt(0) == '0') {
            return false;
        }
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return raw.length() < MAX.length() || raw.compareTo(MAX) <= 0;
    }

    /** A required id from a request body: 422 {@code "<field> is required"} / {@code "must be positive"}. */
    public static long body(Long value, String field) {
        if (value == null) {
            throw ApiException.unprocessable(field + " is required (a positive integer)");
        }
        if (value <= 0) {
            throw ApiException.unprocessable(field + " must be a positive integer");
        }
        return value;
    }
}
