package com.proxyvault.billing.ledger;

import java.math.BigDecimal;

/**
 * A movement of money to post to one reseller's ledger. {@code amount} is signed the way the ledger stores
 * it (credit +, debit −); {@code reference} is the idempotency key, unique per reseller; {@code orderId} the
 * order the entry belongs to (null if none).
 */
public record Movement(long resellerId, EntryKind kind, BigDecimal amount, String reference, String description,
                       Long orderId, Origin origin) {

    public static Movement topup(long resellerId, String reference, BigDecimal amount) {
        return new Movement(resellerId, EntryKind.TOPUP, amount, reference, null, null, Origin.TOPUP_API);
    }

    public static Movement charge(long resellerId, String reference, BigDecimal amount, String description, Long orderId) {
        return new Movement(resellerId, EntryKind.CHARGE, amount.negate(), reference, description, orderId, Origin.CHARGE_API);
    }

    public static Movement refund(long resellerId, String reference, BigDecimal amount, String description, Long orderId,
                                  Origin origin) {
        return new Movement(resellerId, EntryKind.REFUND, amount, reference, description, orderId, origin);
    }

    /** {@code signedAmount} as the operator gave it: positive credits, negative debits. */
    public static Movement adjustment(long resellerId, String reference, BigDecimal signedAmount, String reason) {
        return new Movement(resellerId, EntryKind.ADJUSTMENT, signedAmount, reference, reason, null, Origin.ADJUSTMENT_API);
    }
}
