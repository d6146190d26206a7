package com.proxyvault.billing.ledger;

import com.proxyvault.platform.http.ApiException;
import com.proxyvault.platform.input.Amounts;

import java.math.BigDecimal;
import java.math.RoundingMode;

/** Amounts of USD: {@code BigDecimal} with scale 2, the same as the {@code numeric(14,2)} columns. */
public final class Money {

    public static final String CURRENCY = "USD";
    public static final BigDecimal ZERO = new BigDecimal("0.00");
    /** The largest balance {@code numeric(14,2)} can hold (one request moves at most {@link Amounts#MAX}). */
    static final BigDecimal MAX = new BigDecimal("999999999999.99");

    private Money() {
    }

    /**
     * A positive amount sent by a client: the shared rule of {@link Amounts#positive} (a JSON string
     * {@code ^[0-9]+(\.[0-9]{1,2})?$}, 0.01..1,000,000.00, scale 2), else 422 naming {@code field}.
     */
    public static BigDecimal parsePositive(String raw, String field) {
        return Amounts.positive(raw, field);
    }

    /**
     * A signed amount sent by an operator ({@code "5.00"}, {@code "-5.00"}): an optional leading {@code -}
     * followed by what {@link Amounts#positive} accepts, so 0.01..1,000,000.00 either way, scale 2; zero,
     * {@code "+5"}, {@code "--5"}, {@code "- 5"} and everything {@code positive} refuses are 422 naming
     * {@code field}.
     */
    public static BigDecimal parseSigned(String raw, String field) {
        String magnitude = raw != null && raw.startsWith("-") ? raw.substring(1) : raw;
        if (magnitude != null && magnitude.matches("0+(\\.0{1,2})?")) {
            // "must be positive", Amounts' word for a one-way amount, misled on a signed one (new-user review 5)
            throw ApiException.unprocessable(field + " must not be zero (signed: positive credits, negative debits)");
        }
        if (raw != null && raw.startsWith("-")) {
            return Amounts.positive(raw.substring(1), field).negate();
        }
        return Amounts.positive(raw, field);
    }

    /** Scale 2 for output; values read from the database already have it. */
    public static BigDecimal normalize(BigDecimal amount) {
        return amount == null ? null : amount.setScale(2, RoundingMode.UNNECESSARY);
    }
}
