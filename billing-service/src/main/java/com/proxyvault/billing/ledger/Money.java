package com.proxyvault.billing.ledger;

import com.proxyvault.platform.http.ApiException;

import java.math.BigDecimal;
import java.math.RoundingMode;

/** Amounts of USD: {@code BigDecimal} with scale 2, the same as the {@code numeric(14,2)} columns. */
public final class Money {

    public static final String CURRENCY = "USD";
    public static final BigDecimal ZERO = new BigDecimal("0.00");
    /** The largest value {@code numeric(14,2)} can hold. */
    static final BigDecimal MAX = new BigDecimal("999999999999.99");

    private Money() {
    }

    /**
     * Parses a positive amount sent by a client ({@code "20.00"}, {@code "20.5"}, {@code "20"}). Anything else
     * is a 422: a money string that is valid JSON but not a valid amount is an invalid value, not malformed
     * input. Extra trailing zeros ({@code "20.000"}) are accepted because they lose nothing.
     */
    public static BigDecimal parsePositive(String raw, String field) {
        if (raw == null || raw.isBlank()) {
            throw ApiException.unprocessable(field + " is required");
        }
        BigDecimal amount;
        try {
            amount = new BigDecimal(raw.trim());
        } catch (NumberFormatException e) {
            throw ApiException.unprocessable(field + " must be a decimal string such as \"20.00\"");
        }
        if (amount.signum() <= 0) {
            throw ApiException.unprocessable(field + " must be positive");
        }
        if (amount.stripTrailingZeros().scale() > 2) {
            throw ApiException.unprocessable(field + " must have at most 2 decimal places");
        }
        if (amount.compareTo(MAX) > 0) {
            throw ApiException.unprocessable(field + " is too large");
        }
        return normalize(amount);
    }

    /** Scale 2 for output; values read from the database already have it. */
    public static BigDecimal normalize(BigDecimal amount) {
        return amount == null ? null : amount.setScale(2, RoundingMode.UNNECESSARY);
    }
}
