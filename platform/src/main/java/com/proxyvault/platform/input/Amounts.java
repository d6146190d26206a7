package com.proxyvault.platform.input;

import com.proxyvault.platform.http.ApiException;

import java.math.BigDecimal;
import java.util.regex.Pattern;

/**
 * Money in request bodies (docs/api.md "Money"): USD as a JSON string of ASCII digits with at most two
 * decimals, {@code ^[0-9]+(\.[0-9]{1,2})?$} ({@code "20"}, {@code "20.5"}, {@code "20.00"}), from
 * {@code 0.01} to {@link #MAX} = 1,000,000.00. Everything else is 422 {@code validation_failed} naming the
 * field: a JSON number (the strict mapper refuses it for a {@code String} field), {@code "1e3"},
 * {@code "1.234"}, {@code "-5"}, {@code " 5"}, {@code "0x10"}, {@code "0"}, {@code "1000000.01"}. The
 * maximum keeps every sum far inside the {@code numeric(14,2)} columns and stops typing slips (a top-up
 * of 10^11) at the door. Answers are always scale 2.
 */
public final class Amounts {

    /** The largest amount a single request may carry. */
    public static final BigDecimal MAX = new BigDecimal("1000000.00");
    /** The documented form (docs/api.md "Money"); leading zeros count for nothing. */
    private static final Pattern SHAPE = Pattern.compile("[0-9]+(\\.[0-9]{1,2})?");
    /** The form with at most 16 significant integer digits: BigDecimal is never asked to parse a huge number. */
    private static final Pattern FORM = Pattern.compile("0*[0-9]{1,16}(\\.[0-9]{1,2})?");

    private Amounts() {
    }

    /** A required amount, 0.01..{@link #MAX}, scale 2. */
    public static BigDecimal positive(String raw, String field) {
        if (raw == null) {
            throw ApiException.unprocessable(field + " is required (a decimal string such as \"20.00\")");
        }
        if (!SHAPE.matcher(raw).matches()) {
            throw ApiException.unprocessable(field + " must be a decimal string such as \"20.00\": digits, at most 2 decimals");
        }
        if (!FORM.matcher(raw).matches()) { // the right form, too large to be worth parsing (new-user review: wrong reason)
            throw ApiException.unprocessable(field + " must be at most " + MAX.toPlainString());
        }
        BigDecimal amount = new BigDecimal(raw).setScale(2);
        if (amount.signum() <= 0) {
            throw ApiException.unprocessable(field + " must be positive");
        }
        if (amount.compareTo(MAX) > 0) {
            throw ApiException.unprocessable(field + " must be at most " + MAX.toPlainString());
        }
        return amount;
    }
}
