package com.proxyvault.billing.ledger;

import com.proxyvault.platform.http.ApiException;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * {@code billing_ledger_postings_total{kind, outcome}} on /q/metrics: how many movements were posted,
 * replayed (same reference again) or refused (insufficient_balance, conflict). Recorded after commit.
 */
@ApplicationScoped
public class LedgerMetrics {

    private final MeterRegistry registry;

    public LedgerMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    public void recorded(Posting posting) {
        count(posting.kind(), posting.replayed() ? "replayed" : "posted");
    }

    public void refused(EntryKind kind, Throwable failure) {
        if (failure instanceof ApiException api) {
            count(kind, switch (api.status()) {
                case 402 -> "insufficient_balance";
                case 409 -> "conflict";
                default -> "invalid";
            });
        }
    }

    private void count(EntryKind kind, String outcome) {
        registry.counter("billing.ledger.postings", "kind", kind.dbValue(), "outcome", outcome).increment();
    }
}
