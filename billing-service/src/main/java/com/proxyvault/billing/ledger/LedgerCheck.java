package com.proxyvault.billing.ledger;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The ledger's invariants, re-checked from scratch off the posting path (docs/money.md "The check"): for
 * every account, balance = sum of its entries = the last entry's balance_after, and last_seq = the number of
 * its entries. The database refuses every posting that would break them (V3 migration), so a drift means the
 * rules were bypassed (triggers disabled, a restore, a bad migration). One read-only statement, one snapshot:
 * postings in flight are invisible to it, never half-seen.
 * <p>
 * Each drifting account is logged at ERROR with its numbers; {@code proxyvault_ledger_drift_accounts} holds
 * the count of the last completed check (alert on > 0) and {@code proxyvault_ledger_checks_total{outcome=
 * clean|drift|failed}} counts the runs (alert when no clean or drift run for a while).
 */
@Startup // the gauge is on /q/metrics from the start, not from the first run
@ApplicationScoped
public class LedgerCheck {

    /** One account whose numbers disagree. */
    public record Drift(long resellerId, BigDecimal balance, BigDecimal ledgerSum, BigDecimal lastBalanceAfter,
                        long lastSeq, long entries) {
    }

    private static final Logger LOG = Logger.getLogger(LedgerCheck.class);

    private final Pool pool;
    private final MeterRegistry registry;
    private final AtomicInteger driftAccounts = new AtomicInteger();

    public LedgerCheck(Pool pool, MeterRegistry registry) {
        this.pool = pool;
        this.registry = registry;
        registry.gauge("proxyvault.ledger.drift.accounts", driftAccounts);
    }

    @Scheduled(identity = "ledger-invariant-check", every = "${proxyvault.ledger.check-interval}",
            delayed = "${proxyvault.ledger.check-delay}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> scheduled() {
        return run().replaceWithVoid().onFailure().recoverWithNull();
    }

    /** Runs the check once; the accounts that drift (empty when the ledger is sound). */
    public Uni<List<Drift>> run() {
        return pool.query("""
                        select a.reseller_id, a.balance, a.last_seq,
                               coalesce(s.total, 0) as ledger_sum, coalesce(s.n, 0) as entries,
                               l.balance_after as last_balance_after
                          from accounts a
                          left join (select reseller_id, sum(amount) as total, count(*) as n
                                       from ledger_entries group by reseller_id) s on s.reseller_id = a.reseller_id
                          left join lateral (select balance_after from ledger_entries e
                                              where e.reseller_id = a.reseller_id order by e.seq desc limit 1) l on true
                         where a.balance <> coalesce(s.total, 0)
                            or a.balance <> coalesce(l.balance_after, 0)
                            or a.last_seq <> coalesce(s.n, 0)
                         order by a.reseller_id""")
                .execute()
                .map(rows -> {
                    List<Drift> drifts = new ArrayList<>();
                    for (Row row : rows) {
                        drifts.add(new Drift(row.getLong("reseller_id"), row.getBigDecimal("balance"),
                                row.getBigDecimal("ledger_sum"), row.getBigDecimal("last_balance_after"),
                                row.getLong("last_seq"), row.getLong("entries")));
                    }
                    return drifts;
                })
                .invoke(this::report)
                .onFailure().invoke(failure -> {
                    count("failed");
                    LOG.errorf(failure, "Ledger invariant check could not run");
                });
    }

    private void report(List<Drift> drifts) {
        for (Drift drift : drifts) {
            LOG.errorf("Ledger drift: account %d has balance %s, its %d entries sum to %s, last balance_after %s, last_seq %d",
                    drift.resellerId(), drift.balance(), drift.entries(), drift.ledgerSum(), drift.lastBalanceAfter(),
                    drift.lastSeq());
        }
        driftAccounts.set(drifts.size());
        count(drifts.isEmpty() ? "clean" : "drift");
    }

    private void count(String outcome) {
        registry.counter("proxyvault.ledger.checks", "outcome", outcome).increment();
    }
}
