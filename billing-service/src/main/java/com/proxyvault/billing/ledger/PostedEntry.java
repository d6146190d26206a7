package com.proxyvault.billing.ledger;

import java.math.BigDecimal;

/** An entry already in the ledger, as a replay or a refund needs it: signed amount, kind, order, origin. */
public record PostedEntry(EntryKind kind, BigDecimal amount, Long orderId, Origin origin) {
}
