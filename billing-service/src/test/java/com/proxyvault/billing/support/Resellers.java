package com.proxyvault.billing.support;

import java.util.concurrent.atomic.AtomicLong;

/** A fresh reseller id per test, so tests never see each other's balances (the schema is cleaned per run). */
public final class Resellers {

    private static final AtomicLong NEXT = new AtomicLong(1000);

    private Resellers() {
    }

    public static long fresh() {
        return NEXT.incrementAndGet();
    }
}
