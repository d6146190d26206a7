package com.proxyvault.billing.ledger;

import java.math.BigDecimal;

/**
 * The outcome of posting a {@link Movement}: the entry with its reference and signed amount, and the
 * account's balance now. {@code replayed} is true when the reference had already been posted and
 * nothing changed this time.
 */
public record Posting(String reference, EntryKind kind, BigDecimal amount, BigDecimal balance, boolean replayed) {

    /** The amount without its sign, as clients sent it. */
    public BigDecimal magnitude() {
        return amount.abs();
    }
}
