package com.proxyvault.billing.ledger;

/** What moved the money. Stored lowercase in {@code ledger_entries.kind}; the database checks the sign. */
public enum EntryKind {
    /** Money an operator added (credit). */
    TOPUP,
    /** An order paid from the balance (debit). */
    CHARGE,
    /** A charge given back, e.g. because its proxy could not be provisioned (credit). */
    REFUND,
    /** An operator's correction, either sign (docs/money.md "Adjustments"). */
    ADJUSTMENT;

    public String dbValue() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
