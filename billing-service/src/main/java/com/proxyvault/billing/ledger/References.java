package com.proxyvault.billing.ledger;

import com.proxyvault.platform.http.ApiException;

/**
 * Ledger references share one namespace per reseller ({@code unique (reseller_id, reference)}), so each
 * kind of movement owns a prefix: charges use the caller's reference as is ({@code order:42}), top-ups
 * are stored as {@code topup:<reference>}, refunds as {@code refund:<charge reference>}.
 */
public final class References {

    public static final String TOPUP_PREFIX = "topup:";
    public static final String REFUND_PREFIX = "refund:";
    /** Leaves room for a prefix inside the column's 200 characters. */
    private static final int MAX_LENGTH = 150;

    private References() {
    }

    /** A reference sent by a client; 422 when missing or too long. */
    public static String require(String raw) {
        if (raw == null || raw.isBlank()) {
            throw ApiException.unprocessable("reference is required");
        }
        if (raw.length() > MAX_LENGTH) {
            throw ApiException.unprocessable("reference must be at most " + MAX_LENGTH + " characters");
        }
        return raw;
    }

    /** A charge reference must not use the prefixes of top-ups and refunds, or it could block them. */
    public static String requireCharge(String raw) {
        String reference = require(raw);
        if (reference.startsWith(TOPUP_PREFIX) || reference.startsWith(REFUND_PREFIX)) {
            throw ApiException.unprocessable("reference must not start with \"topup:\" or \"refund:\"");
        }
        return reference;
    }

    public static String topup(String reference) {
        return TOPUP_PREFIX + reference;
    }

    public static String orderCharge(long orderId) {
        return "order:" + orderId;
    }

    public static String refundOf(String chargeReference) {
        return REFUND_PREFIX + chargeReference;
    }
}
