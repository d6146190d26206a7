package com.proxyvault.billing.ledger;

import java.math.BigDecimal;

/**
 * A movement of money to post to one reseller's ledger. {@code amount} is signed the way the ledger stores
 * it (credit +, debit −); {@code reference} is the idempotency key, unique per reseller.
 */
public record Movement(long resellerId, EntryKind kind, BigDecimal amount, String reference, String description) {

    public static Movement topup(long resellerId, String reference, BigDecimal amount) {
        return new Movement(resellerId, EntryKind.TOPUP, amount, reference, null);
    }

    public static Movement charge(long resellerId, String reference, BigDecimal amount, String description) {
        return new Movement(resellerId, EntryKind.CHARGE, amount.negate(), reference, description);
    }

    public static Movement refund(long resellerId, String reference, BigDecimal amount, String description) {
        return new Movement(resellerId, EntryKind.REFUND, amount, reference, description);
    }
}
