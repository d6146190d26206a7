package com.proxyvault.billing.ledger;

import com.proxyvault.billing.support.BillingApi;
import com.proxyvault.billing.support.LedgerTables;
import com.proxyvault.billing.support.Resellers;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.sql.SQLException;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Balance == sum of the ledger, kept by the code and defended by the database. */
@QuarkusTest
class LedgerInvariantTest {

    @Inject
    LedgerTables tables;

    @Test
    void shouldKeepEveryBalanceEqualToTheSumOfItsLedger() {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "100.00", "dep-1").statusCode(201);
        BillingApi.topUp(reseller, "100.00", "dep-1").statusCode(200);
        BillingApi.charge(reseller, "order:1", "33.33").statusCode(201);
        BillingApi.charge(reseller, "order:2", "70.00").statusCode(402);
        BillingApi.charge(reseller, "order:1", "33.33").statusCode(200);
        BillingApi.topUp(reseller, "0.01", "dep-2").statusCode(201);
        BillingApi.charge(reseller, "order:3", "66.68").statusCode(201);

        assertEquals("0.00", BillingApi.balanceOf(reseller));
        assertEquals(tables.accountBalance(reseller), tables.ledgerSum(reseller));
        // ... and for every account any test created so far.
        assertEquals(List.of(), tables.accountsOutOfBalance());
    }

    @Test
    void shouldAnswerEveryOutcomeOfTheOneCallPostingAndWriteOnlyWhatIsPosted() {
        // ledger_post (V5) is all Ledger.post sends; its refusals must write no entry and move no balance.
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "40.00", "dep-1").statusCode(201);

        assertEquals("too_large", post(reseller, "topup", "20.00", "dep-2", "50.00"), "a credit past the ceiling");
        assertEquals("insufficient", post(reseller, "charge", "-40.01", "order:9", "999999999999.99"));
        assertEquals("posted", post(reseller, "charge", "-10.00", "order:5", "999999999999.99"));
        assertEquals("replayed", post(reseller, "charge", "-10.00", "order:5", "999999999999.99"));
        assertEquals("replayed", post(reseller, "charge", "-99.00", "order:5", "999999999999.99"),
                "a reused reference answers with the earlier entry; Java compares the amounts (409)");

        assertEquals(new BigDecimal("30.00"), tables.accountBalance(reseller));
        assertEquals(new BigDecimal("30.00"), tables.ledgerSum(reseller));
        assertEquals(2, tables.entries(reseller).size());
    }

    private String post(long reseller, String kind, String amount, String reference, String ceiling) {
        return tables.queryString("select outcome from ledger_post(" + reseller + ", '" + kind + "', " + amount + ", '"
                + reference + "', null, null, '" + (kind.equals("charge") ? "charge-api" : "topup-api") + "', " + ceiling + ")");
    }

    @Test
    void shouldChainEachEntryToTheBalanceBeforeIt() {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "50.00", "dep-1").statusCode(201);
        BillingApi.charge(reseller, "order:1", "20.00").statusCode(201);
        BillingApi.topUp(reseller, "5.50", "dep-2").statusCode(201);

        BigDecimal running = BigDecimal.ZERO;
        for (LedgerTables.Entry entry : tables.entries(reseller)) {
            running = running.add(entry.amount());
            assertEquals(0, running.compareTo(entry.balanceAfter()), entry.toString());
        }
        assertEquals(new BigDecimal("35.50"), running);
    }

    @Test
    void shouldRefuseToEditOrDeleteALedgerEntry() {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "50.00", "dep-1").statusCode(201);

        assertThrows(SQLException.class, () -> tables.execute(
                "update ledger_entries set amount = 500.00, balance_after = 500.00 where reseller_id = " + reseller));
        assertThrows(SQLException.class, () -> tables.execute("delete from ledger_entries where reseller_id = " + reseller));
        assertEquals(new BigDecimal("50.00"), tables.ledgerSum(reseller));
    }

    @Test
    void shouldRefuseABalanceChangeWithoutALedgerEntry() {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "50.00", "dep-1").statusCode(201);

        assertThrows(SQLException.class, () -> tables.execute(
                "update accounts set balance = balance + 1000 where reseller_id = " + reseller));
        assertEquals(new BigDecimal("50.00"), tables.accountBalance(reseller));
    }

    @Test
    void shouldRefuseALedgerEntryWithoutTheBalanceChange() {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "50.00", "dep-1").statusCode(201);

        // The entry continues the chain correctly, but the balance does not move: refused at commit.
        assertThrows(SQLException.class, () -> tables.execute("""
                insert into ledger_entries (reseller_id, kind, amount, balance_after, reference)
                values (%d, 'topup', 10.00, 60.00, 'topup:forged')""".formatted(reseller)));
        assertEquals(1, tables.entries(reseller).size());
        assertEquals("50.00", BillingApi.balanceOf(reseller));
    }

    @Test
    void shouldRefuseAnEntryThatDoesNotContinueTheChain() {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "50.00", "dep-1").statusCode(201);

        assertThrows(SQLException.class, () -> tables.execute("""
                insert into ledger_entries (reseller_id, kind, amount, balance_after, reference)
                values (%d, 'topup', 10.00, 70.00, 'topup:forged')""".formatted(reseller)));
        assertEquals(1, tables.entries(reseller).size());
    }

    @Test
    void shouldRefuseANegativeBalance() {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "5.00", "dep-1").statusCode(201);

        assertThrows(SQLException.class, () -> tables.execute("""
                with debit as (update accounts set balance = balance - 10.00 where reseller_id = %1$d)
                insert into ledger_entries (reseller_id, kind, amount, balance_after, reference)
                values (%1$d, 'charge', -10.00, -5.00, 'order:1')""".formatted(reseller)));
        assertEquals(new BigDecimal("5.00"), tables.accountBalance(reseller));
    }

    @Test
    void shouldRefuseANegativeBalanceEvenWhenADirectPostingFollowsEveryOtherRule() {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "5.00", "dep-1").statusCode(201);

        // Locked, chained and taken up by the account, as Ledger.post does it: only the CHECKs refuse it.
        SQLException refused = assertThrows(SQLException.class, () -> tables.executeInOneTransaction(
                "select balance from accounts where reseller_id = %d for update".formatted(reseller),
                """
                insert into ledger_entries (reseller_id, kind, amount, balance_after, reference)
                values (%d, 'charge', -10.00, -5.00, 'order:1')""".formatted(reseller),
                "update accounts set balance = -5.00, last_seq = last_seq + 1 where reseller_id = %d".formatted(reseller)));
        assertEquals("23514", refused.getSQLState(), refused.getMessage()); // check_violation
        assertEquals(new BigDecimal("5.00"), tables.accountBalance(reseller));
        assertEquals(1, tables.entries(reseller).size());
    }

    @Test
    void shouldRefuseTwoEntriesThatTheAccountDidNotFollowOneByOne() {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "50.00", "dep-1").statusCode(201);

        // Both continue the balance (50.00) as it stands, but only one can be next: seq is unique.
        assertThrows(SQLException.class, () -> tables.executeInOneTransaction(
                """
                insert into ledger_entries (reseller_id, kind, amount, balance_after, reference)
                values (%1$d, 'topup', 10.00, 60.00, 'topup:forged-1')""".formatted(reseller),
                """
                insert into ledger_entries (reseller_id, kind, amount, balance_after, reference)
                values (%1$d, 'topup', 10.00, 60.00, 'topup:forged-2')""".formatted(reseller),
                "update accounts set balance = 60.00, last_seq = last_seq + 1 where reseller_id = %d".formatted(reseller)));
        // The account may not skip an entry either.
        assertThrows(SQLException.class, () -> tables.executeInOneTransaction(
                """
                insert into ledger_entries (reseller_id, kind, amount, balance_after, reference)
                values (%1$d, 'topup', 10.00, 60.00, 'topup:forged-1')""".formatted(reseller),
                "update accounts set balance = 60.00, last_seq = last_seq + 2 where reseller_id = %d".formatted(reseller)));
        assertEquals(new BigDecimal("50.00"), tables.accountBalance(reseller));
        assertEquals(1, tables.entries(reseller).size());
    }

    @Test
    void shouldAcceptADirectPostingThatFollowsEveryRule() throws SQLException {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "50.00", "dep-1").statusCode(201);

        tables.executeInOneTransaction(
                """
                insert into ledger_entries (reseller_id, kind, amount, balance_after, reference)
                values (%1$d, 'adjustment', -0.50, 49.50, 'adjustment:by-hand')""".formatted(reseller),
                "update accounts set balance = 49.50, last_seq = last_seq + 1 where reseller_id = %d".formatted(reseller));

        assertEquals("49.50", BillingApi.balanceOf(reseller));
        assertEquals(List.of(), tables.accountsOutOfBalance());
    }
}
