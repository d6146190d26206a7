package com.proxyvault.billing.refunds;

import com.proxyvault.billing.support.BillingApi;
import com.proxyvault.billing.support.LedgerTables;
import com.proxyvault.billing.support.LedgerTables.Entry;
import com.proxyvault.billing.support.OrderFailures;
import com.proxyvault.billing.support.Resellers;
import com.proxyvault.contracts.events.EventEnvelope;
import com.proxyvault.contracts.events.OrderFailed;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import com.proxyvault.platform.auth.InternalTokens;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.sql.SQLException;
import java.util.List;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Refunds that fail. A trigger on {@code processed_events} makes the refund transaction of one chosen event
 * fail a set number of times (counted by a sequence, which a rollback does not undo), so the number of
 * attempts is exact and nothing depends on timing. The %test profile allows 3 retries, then the platform's
 * consumer template parks the event in {@code dead_letter_events}.
 */
@QuarkusTest
class RefundFailureTest {

    @Inject
    LedgerTables tables;
    @Inject
    OrderFailures failures;

    @AfterEach
    void removeFault() throws SQLException {
        tables.execute("drop trigger if exists test_refund_fault on processed_events");
        tables.execute("drop function if exists test_refund_fault()");
        tables.execute("drop sequence if exists test_refund_fault_attempts");
    }

    @Test
    void shouldRetryARefundThatFailedAndApplyItOnce() throws SQLException {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "40.00", "dep-1").statusCode(201);
        BillingApi.charge(reseller, "order:9001", "15.00").statusCode(201);
        EventEnvelope<OrderFailed> event = failures.event(reseller, 9001, "15.00", "No free modem");
        failFirstAttempts(event.id(), 2);

        failures.send(reseller, failures.json(event));
        tables.awaitEntry(reseller, "refund:order:9001");

        assertEquals(3, tables.queryLong("select last_value from test_refund_fault_attempts"), "two failures, then success");
        assertEquals("40.00", BillingApi.balanceOf(reseller));
        assertEquals(1, tables.entries(reseller).stream().filter(entry -> entry.kind().equals("refund")).count());
    }

    @Test
    void shouldParkARefundThatKeepsFailingGoOnAndReplayItOnce() throws SQLException {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "40.00", "dep-1").statusCode(201);
        BillingApi.charge(reseller, "order:9101", "15.00").statusCode(201);
        BillingApi.charge(reseller, "order:9102", "5.00").statusCode(201);
        EventEnvelope<OrderFailed> doomed = failures.event(reseller, 9101, "15.00", "No free modem");
        String doomedJson = failures.json(doomed);
        failFirstAttempts(doomed.id(), Integer.MAX_VALUE);

        failures.send(reseller, doomedJson);
        failures.send(reseller, 9102, "5.00", "No free modem");
        tables.awaitEntry(reseller, "refund:order:9102");

        assertEquals(4, tables.queryLong("select last_value from test_refund_fault_attempts"), "first attempt and 3 retries");
        assertEquals(List.of("topup:dep-1", "order:9101", "order:9102", "refund:order:9102"),
                tables.entries(reseller).stream().map(Entry::reference).toList());
        long parked = tables.queryLong("select id from dead_letter_events where event_id = '" + doomed.id() + "'");
        assertEquals(1, tables.queryLong("select count(*) from dead_letter_events where id = " + parked
                + " and handler = 'refund-failed-order' and attempts = 4 and error like '%injected refund failure%'"
                + " and replayed_at is null and payload = '" + doomedJson.replace("'", "''") + "'"),
                "the parked row keeps the message byte for byte and says why");

        // The fault is fixed: the operator replays the parked refund, once.
        removeFault();
        given().auth().oauth2(InternalTokens.billing().operator()).get("/internal/dead-letters")
                .then().statusCode(200).body("dead_letters.id", hasItem((int) parked));
        given().auth().oauth2(InternalTokens.billing().operator()).post("/internal/dead-letters/" + parked + "/replay")
                .then().statusCode(200).body("replayed_at", notNullValue());
        given().auth().oauth2(InternalTokens.billing().operator()).post("/internal/dead-letters/" + parked + "/replay")
                .then().statusCode(409);
        given().auth().oauth2(InternalTokens.billing().reseller(reseller)).get("/internal/dead-letters").then().statusCode(403);
        assertEquals("40.00", BillingApi.balanceOf(reseller), "both charges given back");
        assertEquals(1, tables.entries(reseller).stream().filter(entry -> entry.reference().equals("refund:order:9101")).count());
    }

    private void failFirstAttempts(UUID eventId, int failures) throws SQLException {
        tables.execute("create sequence test_refund_fault_attempts");
        tables.execute("""
                create function test_refund_fault() returns trigger language plpgsql as $$
                begin
                    if new.event_id = '%s' and nextval('test_refund_fault_attempts') <= %d then
                        raise exception 'injected refund failure';
                    end if;
                    return new;
                end $$""".formatted(eventId, failures));
        tables.execute("""
                create trigger test_refund_fault before insert on processed_events
                for each row execute function test_refund_fault()""");
    }
}
