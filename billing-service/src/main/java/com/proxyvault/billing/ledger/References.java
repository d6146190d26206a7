package com.proxyvault.billing.ledger;

import com.proxyvault.platform.http.ApiException;
import com.proxyvault.platform.input.Texts;

/**
 * Ledger references share one namespace per reseller ({@code unique (reseller_id, reference)}), so each
 * kind of movement owns a prefix: charges use the caller's reference as is ({@code order:42}), top-ups
 * are stored as {@code topup:<reference>}, refunds as {@code refund:<charge reference>} (whichever path
 * refunds: the {@code order.failed} listener and {@code POST /internal/refunds} share it, so a charge is refunded at most once),
 * adjustments as {@code adjustment:<reference>}.
 */
public final class References {

    public static final String TOPUP_PREFIX = "topup:";
    public static final String REFUND_PREFIX = "refund:";
    public static final String ADJUSTMENT_PREFIX = "adjustment:";
    private static final java.util.regex.Pattern ORDER_REFERENCE = java.util.regex.Pattern.compile("order:([1-9][0-9]{0,17})");
    /** A client's reference: at most 100 characters (docs/api.md), leaving room for a prefix in the column's 200. */
    public static final int MAX_LENGTH = 100;

    private References() {
    }

    /**
     * A reference sent by a client; 422 when missing, blank, too long, holding a control character or an invisible
     * formatting one, or starting or ending with white space. References compare exactly, case included (an
     * idempotency key, docs/money.md "Idempotency"): "dep-1 " and "DEP-1" were two deposits to the ledger, each
     * credited again, while an operator reading the console's table saw one reference (new-user review 5, finding 4).
     * Surrounding space is refused rather than trimmed, so no stored reference changes meaning.
     */
    public static String require(String raw) {
        String reference = Texts.visible(Texts.required(raw, "reference", MAX_LENGTH), "reference");
        if (isSpace(reference.codePointAt(0)) || isSpace(reference.codePointBefore(reference.length()))) {
            throw ApiException.unprocessable("reference must not start or end with white space (references compare"
                    + " exactly, case included)");
        }
        return reference;
    }

    /** White space, also the Unicode space separators {@link String#strip} leaves (no-break space U+00A0 ...). */
    private static boolean isSpace(int codePoint) {
        return Character.isWhitespace(codePoint) || Character.isSpaceChar(codePoint);
    }

    /** A charge reference must not use the prefixes of top-ups, refunds and adjustments, or it could block them. */
    public static String requireCharge(String raw) {
        String reference = require(raw);
        if (reference.startsWith(TOPUP_PREFIX) || reference.startsWith(REFUND_PREFIX)
                || reference.startsWith(ADJUSTMENT_PREFIX)) {
            throw ApiException.unprocessable("reference must not start with \"topup:\", \"refund:\" or \"adjustment:\"");
        }
        return reference;
    }

    /** The order id of a reference {@code order:<id>} (order-service's form), or null for any other form. */
    public static Long orderIdOf(String chargeReference) {
        java.util.regex.Matcher matcher = ORDER_REFERENCE.matcher(chargeReference);
        return matcher.matches() ? Long.valueOf(matcher.group(1)) : null;
    }

    public static String adjustment(String reference) {
        return ADJUSTMENT_PREFIX + reference;
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
