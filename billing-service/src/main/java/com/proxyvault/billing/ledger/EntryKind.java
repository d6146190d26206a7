package com.proxyvault.billing.ledger;

/** What moved the money. Stored lowercase in {@code ledger_entries.kind}; the database checks the sign. */
public enum EntryKind {
    /** Money an operator added (credit). */
    TOPUP,
    /** An order paid from the balance (debit). */
    CHARGE,
    /** A charge given back because its proxy could not be provisioned (credit). */
    REFUND;

    public String dbValue() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
