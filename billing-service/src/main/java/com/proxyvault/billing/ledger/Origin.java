package com.proxyvault.billing.ledger;

/**
 * Which path posted an entry ({@code ledger_entries.origin}): lets a refund requested by order-service tell
 * its own earlier refund (a replay) from one the {@code order.failed} listener made.
 */
public enum Origin {
    CHARGE_API("charge-api"),
    TOPUP_API("topup-api"),
    REFUND_API("refund-api"),
    /** The {@code proxy.provision_failed} listener, before refunds moved to {@code order.failed}: history only. */
    PROVISION_FAILED("provision-failed"),
    ORDER_FAILED("order-failed"),
    ADJUSTMENT_API("adjustment-api");

    private final String dbValue;

    Origin(String dbValue) {
        this.dbValue = dbValue;
    }

    public String dbValue() {
        return dbValue;
    }

    /** Null for entries posted before the column existed. */
    public static Origin fromDb(String value) {
        if (value == null) {
            return null;
        }
        for (Origin origin : values()) {
            if (origin.dbValue.equals(value)) {
                return origin;
            }
        }
        throw new IllegalStateException("Unknown ledger origin " + value);
    }
}
