package com.proxyvault.billing.ledger;

import java.math.BigDecimal;

/**
 * The outcome of posting a {@link Movement}: the entry with its reference and signed amount, and the
 * account's balance now. {@code replayed} is true when the reference had already been posted and
 * nothing changed this time; {@code origin} is then the path that posted the earlier entry.
 */
public record Posting(String reference, EntryKind kind, BigDecimal amount, BigDecimal balance, boolean replayed,
                      Origin origin) {

    /** The amount without its sign, as clients sent it. */
    public BigDecimal magnitude() {
        return amount.abs();
    }
}
