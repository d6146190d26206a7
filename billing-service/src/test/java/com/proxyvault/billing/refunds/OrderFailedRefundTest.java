package com.proxyvault.billing.refunds;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.proxyvault.billing.support.BillingApi;
import com.proxyvault.billing.support.LedgerTables;
import com.proxyvault.billing.support.LedgerTables.Entry;
import com.proxyvault.billing.support.OrderFailures;
import com.proxyvault.billing.support.Resellers;
import com.proxyvault.contracts.events.EventEnvelope;
import com.proxyvault.contracts.events.EventJson;
import com.proxyvault.contracts.events.OrderFailed;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Refunds order-service decided, through a real Kafka topic ({@code order.failed}). Messages of one reseller
 * share a partition and are handled in order, so once a later "marker" refund shows up, every message sent
 * before it has been handled (applied, skipped or parked): the tests wait for the marker and then check exact
 * results, without relying on how long anything takes.
 */
@QuarkusTest
class OrderFailedRefundTest {

    @Inject
    LedgerTables tables;
    @Inject
    OrderFailures failures;
    @Inject
    ObjectMapper mapper;

    private List<Entry> refunds(long reseller) {
        return tables.entries(reseller).stream().filter(entry -> entry.kind().equals("refund")).toList();
    }

    @Test
    void shouldRefundExactlyTheAnnouncedChargeOnceEvenWhenTheEventArrivesTwice() {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "100.00", "dep-1").statusCode(201);
        BillingApi.charge(reseller, "order:7001", "30.00", 7001).statusCode(201);
        BillingApi.charge(reseller, "order:7002", "5.00").statusCode(201);

        String failure = failures.json(failures.event(reseller, 7001, "30.00", "No free modem"));
        failures.send(reseller, failure);
        failures.send(reseller, failure);
        // Another event about the same order (a second failure report) must not refund again either.
        failures.send(reseller, 7001, "30.00", "Agent did not confirm");
        failures.send(reseller, 7002, "5.00", "No free modem");
        tables.awaitEntry(reseller, "refund:order:7002");

        assertEquals("100.00", BillingApi.balanceOf(reseller), "balance restored");
        assertEquals(List.of(
                new Entry("refund", new BigDecimal("30.00"), new BigDecimal("95.00"), "refund:order:7001"),
                new Entry("refund", new BigDecimal("5.00"), new BigDecimal("100.00"), "refund:order:7002")), refunds(reseller));
        assertEquals(tables.accountBalance(reseller), tables.ledgerSum(reseller));
        assertEquals(1, tables.queryLong("select count(*) from ledger_entries where reseller_id = " + reseller
                + " and reference = 'refund:order:7001' and order_id = 7001 and origin = 'order-failed'"
                + " and description = 'Order failed: No free modem'"));
        assertEquals(0, tables.queryLong("select count(*) from dead_letter_events where payload like '%\"reseller_id\":"
                + reseller + ",%'"));
    }

    @Test
    void shouldDoNothingForAnOrderThatWasNeverCharged() {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "50.00", "dep-1").statusCode(201);
        BillingApi.charge(reseller, "order:7201", "20.00").statusCode(201);
        BillingApi.charge(reseller, "order:7202", "10.00").statusCode(201);

        // Nothing charged: "0.00" and no charge reference (schema-valid), even for an order that has a charge.
        failures.send(reseller, failures.json(failures.event(reseller, 7201, null, "0.00", "No free modem")));
        // An order.failed written before it named its charge: billing's old listener refunded those itself.
        EventEnvelope<OrderFailed> legacy = failures.event(reseller, 7201, null, "20.00", "No free modem");
        failures.send(reseller, EventJson.write(mapper, legacy));
        failures.send(reseller, 7202, "10.00", "No free modem");
        tables.awaitEntry(reseller, "refund:order:7202");

        assertEquals("30.00", BillingApi.balanceOf(reseller), "only the marker refunded");
        assertEquals(List.of("refund:order:7202"), refunds(reseller).stream().map(Entry::reference).toList());
        assertEquals(0, tables.queryLong("select count(*) from dead_letter_events where payload like '%\"reseller_id\":"
                + reseller + ",%'"), "nothing to do is not a failure");
    }

    @Test
    void shouldParkARefundTheLedgerDoesNotBackAndMoveNoMoney() {
        long reseller = Resellers.fresh();
        long stranger = Resellers.fresh();
        BillingApi.topUp(reseller, "100.00", "dep-1").statusCode(201);
        BillingApi.charge(reseller, "order:7101", "20.00", 7101).statusCode(201);
        BillingApi.charge(reseller, "order:7103", "10.00", 7103).statusCode(201);
        BillingApi.charge(reseller, "order:7109", "1.00").statusCode(201);
        BillingApi.topUp(stranger, "100.00", "dep-1").statusCode(201);
        BillingApi.charge(stranger, "order:7105", "15.00").statusCode(201);

        var moreThanCharged = failures.event(reseller, 7101, "25.00", "No free modem");
        var lessThanCharged = failures.event(reseller, 7101, "19.99", "No free modem");
        var anotherOrdersCharge = failures.event(reseller, 7104, "order:7103", "10.00", "No free modem");
        var noSuchCharge = failures.event(reseller, 7106, "order:7106", "10.00", "No free modem");
        var anotherResellersCharge = failures.event(reseller, 7105, "15.00", "No free modem");
        var notACharge = failures.event(reseller, 7107, "topup:dep-1", "100.00", "No free modem");
        for (var refused : List.of(moreThanCharged, lessThanCharged, anotherOrdersCharge, noSuchCharge,
                anotherResellersCharge, notACharge)) {
            failures.send(reseller, failures.json(refused));
        }
        failures.send(reseller, 7109, "1.00", "No free modem");
        tables.awaitEntry(reseller, "refund:order:7109");

        assertEquals(List.of("refund:order:7109"), refunds(reseller).stream().map(Entry::reference).toList(),
                "no money moved for a refund the ledger does not back");
        assertEquals("70.00", BillingApi.balanceOf(reseller));
        assertEquals("85.00", BillingApi.balanceOf(stranger));
        for (var refused : List.of(moreThanCharged, lessThanCharged, anotherOrdersCharge, noSuchCharge,
                anotherResellersCharge, notACharge)) {
            assertEquals(1, tables.queryLong("select count(*) from dead_letter_events where event_id = '" + refused.id()
                    + "' and handler = 'refund-failed-order' and error like '%Refund refused, no money moved%'"
                    + " and replayed_at is null"), "parked: " + refused.data());
        }
        assertEquals(1, tables.queryLong("select count(*) from dead_letter_events where event_id = '" + moreThanCharged.id()
                + "' and error like '%refunded_amount 25.00 is not the 20.00 charged as order:7101%'"));
        assertEquals(tables.accountBalance(reseller), tables.ledgerSum(reseller));
    }

    @Test
    void shouldSkipUnreadableMessagesAndKeepConsuming() {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "50.00", "dep-1").statusCode(201);
        BillingApi.charge(reseller, "order:8001", "20.00").statusCode(201);

        failures.send(reseller, "this is not an event");
        failures.send(reseller, "{\"id\": \"not-a-uuid\", \"type\": \"order.failed\"}");
        failures.send(reseller, "{\"id\": \"0b0c5e1a-0000-4000-8000-000000000001\", \"type\": \"order.paid\","
                + " \"occurred_at\": \"2026-05-25T12:00:00\", \"reseller_id\": " + reseller + ", \"data\": {\"order_id\": 8001}}");
        failures.send(reseller, 8001, "20.00", "No free modem");
        tables.awaitEntry(reseller, "refund:order:8001");

        assertEquals("50.00", BillingApi.balanceOf(reseller));
        assertEquals(List.of("topup:dep-1", "order:8001", "refund:order:8001"),
                tables.entries(reseller).stream().map(Entry::reference).toList());
    }
}
