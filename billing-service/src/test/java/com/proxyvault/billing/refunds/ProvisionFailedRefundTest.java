package com.proxyvault.billing.refunds;

import com.proxyvault.billing.support.BillingApi;
import com.proxyvault.billing.support.LedgerTables;
import com.proxyvault.billing.support.LedgerTables.Entry;
import com.proxyvault.billing.support.ProvisionFailures;
import com.proxyvault.billing.support.Resellers;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Refunds through a real Kafka topic. Messages of one reseller share a partition and are handled in order,
 * so once a later "marker" refund shows up, every message sent before it has been handled: the tests wait
 * for the marker and then check exact results, without relying on how long anything takes.
 */
@QuarkusTest
class ProvisionFailedRefundTest {

    @Inject
    LedgerTables tables;
    @Inject
    ProvisionFailures failures;

    @Test
    void shouldRefundAFailedProvisionOnceEvenWhenTheEventArrivesTwice() {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "100.00", "dep-1").statusCode(201);
        BillingApi.charge(reseller, "order:7001", "30.00").statusCode(201);
        BillingApi.charge(reseller, "order:7002", "5.00").statusCode(201);

        String failure = failures.json(failures.event(reseller, 7001, "No free modem"));
        failures.send(reseller, failure);
        failures.send(reseller, failure);
        // Another event about the same order (a second failure report) must not refund again either.
        failures.send(reseller, 7001, "Agent did not confirm");
        failures.send(reseller, 7002, "No free modem");
        tables.awaitEntry(reseller, "refund:order:7002");

        assertEquals("100.00", BillingApi.balanceOf(reseller));
        List<Entry> refunds = tables.entries(reseller).stream().filter(entry -> entry.kind().equals("refund")).toList();
        assertEquals(List.of(
                new Entry("refund", new BigDecimal("30.00"), new BigDecimal("95.00"), "refund:order:7001"),
                new Entry("refund", new BigDecimal("5.00"), new BigDecimal("100.00"), "refund:order:7002")), refunds);
        assertEquals(tables.accountBalance(reseller), tables.ledgerSum(reseller));
    }

    @Test
    void shouldSkipUnreadableMessagesAndUnchargedOrdersAndKeepConsuming() {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "50.00", "dep-1").statusCode(201);
        BillingApi.charge(reseller, "order:8001", "20.00").statusCode(201);

        failures.send(reseller, "this is not an event");
        failures.send(reseller, "{\"id\": \"not-a-uuid\", \"type\": \"proxy.provision_failed\"}");
        failures.send(reseller, "{\"id\": \"0b0c5e1a-0000-4000-8000-000000000001\", \"type\": \"order.paid\","
                + " \"occurred_at\": \"2026-05-25T12:00:00\", \"reseller_id\": " + reseller + ", \"data\": {\"order_id\": 8001}}");
        failures.send(reseller, 8999, "No free modem");   // never charged: nothing to refund
        failures.send(reseller, failures.json(failures.event(Resellers.fresh(), 8001, "No free modem")));   // not this reseller's order
        failures.send(reseller, 8001, "No free modem");
        tables.awaitEntry(reseller, "refund:order:8001");

        assertEquals("50.00", BillingApi.balanceOf(reseller));
        assertEquals(List.of("topup:dep-1", "order:8001", "refund:order:8001"),
                tables.entries(reseller).stream().map(Entry::reference).toList());
    }
}
