package com.proxyvault.platform.input;

import com.proxyvault.platform.http.ApiException;

/**
 * The page of every list endpoint (docs/api.md "Lists"): {@code limit} 1..{@value #MAX_LIMIT} (default
 * {@value #DEFAULT_LIMIT}), {@code offset} 0..{@link Integer#MAX_VALUE} (default 0), each ASCII digits only.
 * Absent or empty ({@code ?limit=}) means the default; anything else ({@code limit=0}, {@code limit=101},
 * {@code limit=+5}, {@code limit=1e1}, {@code offset=-1}) is 422 {@code validation_failed} naming the
 * parameter. Take the parameters as {@code String} ({@code @QueryParam("limit") String limit}) so the
 * framework never answers for them.
 */
public record Paging(int limit, int offset) {

    public static final int DEFAULT_LIMIT = 50;
    public static final int MAX_LIMIT = 100;

    public static Paging of(String limit, String offset) {
        return new Paging(parse("limit", limit, DEFAULT_LIMIT, 1, MAX_LIMIT),
                parse("offset", offset, 0, 0, Integer.MAX_VALUE));
    }

    private static int parse(String name, String raw, int fallback, int min, int max) {
        if (raw == null || raw.isEmpty()) {
            // ?limit= and ?limit reach us as "" or null depending on the client: both mean "not given".
            return fallback;
        }
        // the upper bound named for offset too: "offset=2147483648 must be >= 0" read wrong (new-user review 3)
        String range = "an integer from " + min + " to " + max;
        if (raw.length() > 10 || !raw.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw ApiException.unprocessable(name + " must be " + range);
        }
        long value = Long.parseLong(raw);
        if (value < min || value > max) {
            throw ApiException.unprocessable(name + " must be " + range);
        }
        return (int) value;
    }
}
