package com.proxyvault.billing.ledger;

import com.proxyvault.billing.support.BillingApi;
import com.proxyvault.billing.support.LedgerTables;
import com.proxyvault.billing.support.Resellers;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The scheduled invariant check (run directly here; its schedule is off in tests), and the properties it
 * stands guard over: O(1) postings on a long history, and no drift after concurrent postings.
 */
@QuarkusTest
class LedgerCheckTest {

    @Inject
    LedgerCheck check;
    @Inject
    LedgerTables tables;
    @Inject
    MeterRegistry registry;

    private final List<LogRecord> errors = Collections.synchronizedList(new ArrayList<>());
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            if (record.getLevel().intValue() >= Level.SEVERE.intValue()) {
                errors.add(record);
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeEach
    void captureLog() {
        Logger.getLogger(LedgerCheck.class.getName()).addHandler(capture);
    }

    @AfterEach
    void releaseLog() {
        Logger.getLogger(LedgerCheck.class.getName()).removeHandler(capture);
    }

    private List<LedgerCheck.Drift> runCheck() {
        return check.run().await().atMost(Duration.ofMinutes(1));
    }

    private double driftGauge() {
        return registry.get("proxyvault.ledger.drift.accounts").gauge().value();
    }

    private List<Long> driftingAccounts() {
        return runCheck().stream().map(LedgerCheck.Drift::resellerId).toList();
    }

    @Test
    void shouldReportNoDriftOnASoundLedger() {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "100.00", "dep-1").statusCode(201);
        BillingApi.charge(reseller, "order:1", "40.00").statusCode(201);
        BillingApi.adjust(reseller, "-10.00", "goodwill reversed", "adj-1").statusCode(201);

        assertEquals(List.of(), runCheck());
        assertEquals(0.0, driftGauge());
        assertEquals(List.of(), errors);
    }

    @Test
    void shouldReportAnAccountWhoseBalanceWasChangedBehindTheLedger() {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "100.00", "dep-1").statusCode(201);
        try {
            tables.tamperWithoutTriggers("update accounts set balance = balance + 1000 where reseller_id = " + reseller);

            List<LedgerCheck.Drift> drifts = runCheck();

            assertEquals(List.of(reseller), drifts.stream().map(LedgerCheck.Drift::resellerId).toList());
            LedgerCheck.Drift drift = drifts.get(0);
            assertEquals(new BigDecimal("1100.00"), drift.balance());
            assertEquals(new BigDecimal("100.00"), drift.ledgerSum());
            assertEquals(1.0, driftGauge());
            assertTrue(errors.stream().anyMatch(record -> formatted(record).contains("account " + reseller + " ")),
                    "an ERROR line naming the account");
        } finally {
            tables.tamperWithoutTriggers("update accounts set balance = balance - 1000 where reseller_id = " + reseller);
        }
        assertEquals(List.of(), runCheck());
        assertEquals(0.0, driftGauge());
    }

    @Test
    void shouldReportAnEntryThatNoBalanceFollowed() {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "100.00", "dep-1").statusCode(201);
        tables.tamperWithoutTriggers("""
                insert into ledger_entries (reseller_id, kind, amount, balance_after, reference, seq)
                values (%d, 'topup', 5.00, 105.00, 'topup:forged', 2)""".formatted(reseller));

        // An entry cannot be deleted (that is the point), so this account stays out of balance: repair it
        // by moving the account onto the forged entry, and check only the report here.
        try {
            assertTrue(driftingAccounts().contains(reseller));
        } finally {
            tables.tamperWithoutTriggers(
                    "update accounts set balance = 105.00, last_seq = 2 where reseller_id = " + reseller);
        }
        assertEquals(List.of(), runCheck());
    }

    @Test
    void shouldPostAfterTenThousandEntriesWithoutAnyTriggerReSummingTheLedger() throws Exception {
        // Structural: no trigger function on the ledger's tables reads a sum or a count of entries.
        assertEquals(0, tables.queryLong("""
                select count(*) from pg_trigger t join pg_proc p on p.oid = t.tgfoid
                 where t.tgrelid in ('accounts'::regclass, 'ledger_entries'::regclass) and not t.tgisinternal
                   and (p.prosrc ilike '%sum(%' or p.prosrc ilike '%count(%')"""));

        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "10.00", "dep-0").statusCode(201);
        // 10,000 real postings through the database's own rules (lock, entry, account moved onto it).
        tables.executeInOneTransaction("""
                do $$
                declare
                    current numeric(14, 2);
                begin
                    for i in 1..10000 loop
                        select balance into current from accounts where reseller_id = %1$d for update;
                        insert into ledger_entries (reseller_id, kind, amount, balance_after, reference)
                        values (%1$d, 'topup', 1.00, current + 1.00, 'topup:bulk-' || i);
                        update accounts set balance = current + 1.00, last_seq = last_seq + 1
                         where reseller_id = %1$d;
                    end loop;
                end
                $$""".formatted(reseller));

        BillingApi.charge(reseller, "order:1", "10.00").statusCode(201).body("balance", org.hamcrest.Matchers.equalTo("10000.00"));
        BillingApi.transactions(reseller, "?limit=1").statusCode(200)
                .body("total", org.hamcrest.Matchers.equalTo(10002))
                .body("transactions[0].reference", org.hamcrest.Matchers.equalTo("order:1"));
        assertEquals(List.of(), runCheck());
    }

    @Test
    void shouldHoldTheInvariantAfterConcurrentPostingsOnOneAccount() throws Exception {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "100.00", "dep-0").statusCode(201);
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<Integer>> results = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                int n = i;
                results.add(pool.submit(() -> n % 2 == 0
                        ? BillingApi.charge(reseller, "order:" + (1000 + n), "7.00").extract().statusCode()
                        : BillingApi.topUp(reseller, "3.00", "dep-" + n).extract().statusCode()));
            }
            int charged = 0;
            for (int i = 0; i < results.size(); i++) {
                int status = results.get(i).get();
                if (i % 2 == 0) {
                    assertTrue(status == 201 || status == 402, "charge answered " + status);
                    charged += status == 201 ? 1 : 0;
                } else {
                    assertEquals(201, status);
                }
            }
            BigDecimal expected = new BigDecimal("175.00").subtract(new BigDecimal("7.00").multiply(BigDecimal.valueOf(charged)));
            assertEquals(expected, tables.accountBalance(reseller));
            assertEquals(tables.accountBalance(reseller), tables.ledgerSum(reseller));
            assertTrue(!driftingAccounts().contains(reseller));
            assertEquals(List.of(), runCheck());
        } finally {
            pool.shutdownNow();
        }
    }

    private static String formatted(LogRecord record) {
        if (record instanceof org.jboss.logmanager.ExtLogRecord ext) {
            return ext.getFormattedMessage();
        }
        Object[] parameters = record.getParameters();
        if (parameters == null || parameters.length == 0) {
            return record.getMessage();
        }
        return String.format(record.getMessage(), parameters);
    }
}
