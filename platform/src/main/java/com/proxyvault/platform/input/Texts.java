package com.proxyvault.platform.input;

import com.proxyvault.platform.http.ApiException;

import java.util.Collection;

/**
 * Strings from request bodies and query parameters (docs/api.md "Strings"). No control characters
 * (U+0000–U+001F, U+007F — PostgreSQL refuses NUL in text, and none belongs in a name, reference or url;
 * bodies are already checked by {@code StrictJson}, this repeats it for every other source), a maximum
 * length in characters (Unicode code points, which is what the 422 detail promises and what PostgreSQL's
 * {@code text} counts: an emoji is one character, not two UTF-16 units) stated per field, and
 * enumerations compared exactly (no trimming, no case folding). Every failure is 422
 * {@code validation_failed} naming the field.
 */
public final class Texts {

    private Texts() {
    }

    /** Required: not null, not blank, at most {@code maxLength}, no control characters. */
    public static String required(String value, String field, int maxLength) {
        if (value == null || value.isBlank()) {
            throw ApiException.unprocessable(field + " is required");
        }
        return checked(value, field, maxLength);
    }

    /** Optional: null stays null; otherwise at most {@code maxLength}, no control characters. */
    public static String optional(String value, String field, int maxLength) {
        return value == null ? null : checked(value, field, maxLength);
    }

    /**
     * {@code value} unchanged when it has no invisible formatting character (Unicode general category Cf: zero-width
     * space and joiners U+200B–U+200D, the bidi controls U+200E/F and U+202A–U+202E, U+2060–U+2064, the byte order mark
     * U+FEFF, the soft hyphen U+00AD ...); else 422 naming the field and the first one. For names people tell apart by
     * eye: "a\u200Bb" and "ab" look the same and, NFKC leaving Cf alone, would be two resellers (third new-user review).
     */
    public static String visible(String value, String field) {
        if (value == null) {
            return null;
        }
        value.codePoints().filter(c -> Character.getType(c) == Character.FORMAT).findFirst().ifPresent(c -> {
            throw ApiException.unprocessable(String.format("%s must not contain invisible formatting characters (U+%04X)", field, c));
        });
        return value;
    }

    /**
     * One of {@code allowed}, exactly; {@code null} when absent and {@code required} is false. Otherwise 422
     * {@code "<field> must be one of a, b"}.
     */
    public static String oneOf(String value, String field, Collection<String> allowed, boolean required) {
        if (value == null && !required) {
            return null;
        }
        if (value == null || !allowed.contains(value)) {
            throw ApiException.unprocessable(field + " must be one of " + String.join(", ", allowed));
        }
        return value;
    }

    private static String checked(String value, String field, int maxLength) {
        // length() first: a string of at most maxLength UTF-16 units has at most as many code points
        if (value.length() > maxLength && value.codePointCount(0, value.length()) > maxLength) {
            throw ApiException.unprocessable(field + " must be at most " + maxLength + " characters");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x20 || c == 0x7F) {
                throw ApiException.unprocessable(field + " must not contain control characters (U+0000-U+001F, U+007F)");
            }
        }
        return value;
    }
}
