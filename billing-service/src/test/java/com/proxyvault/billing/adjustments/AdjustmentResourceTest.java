package com.proxyvault.billing.adjustments;

import com.proxyvault.billing.support.BillingApi;
import com.proxyvault.billing.support.LedgerTables;
import com.proxyvault.billing.support.Resellers;
import com.proxyvault.platform.auth.InternalTokens;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@code POST /internal/resellers/{id}/adjustments}: operator corrections of either sign. */
@QuarkusTest
class AdjustmentResourceTest {

    @Inject
    LedgerTables tables;

    @Inject
    MeterRegistry registry;

    @Test
    void shouldCreditAndDebitBySignedAmounts() {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "10.00", "dep-1").statusCode(201);

        BillingApi.adjust(reseller, "5.00", "goodwill", "adj-1")
                .statusCode(201)
                .body("balance", equalTo("15.00"))
                .body("currency", equalTo("USD"))
                .body("reference", equalTo("adj-1"))
                .body("amount", equalTo("5.00"));
        BillingApi.adjust(reseller, "-7.5", "duplicate deposit", "adj-2")
                .statusCode(201)
                .body("balance", equalTo("7.50"))
                .body("amount", equalTo("-7.50"));

        assertEquals(List.of(
                new LedgerTables.Entry("topup", new BigDecimal("10.00"), new BigDecimal("10.00"), "topup:dep-1"),
                new LedgerTables.Entry("adjustment", new BigDecimal("5.00"), new BigDecimal("15.00"), "adjustment:adj-1"),
                new LedgerTables.Entry("adjustment", new BigDecimal("-7.50"), new BigDecimal("7.50"), "adjustment:adj-2")),
                tables.entries(reseller));
    }

    @Test
    void shouldReplayTheSameReferenceAndRefuseAnotherAmount() {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "10.00", "dep-1").statusCode(201);
        BillingApi.adjust(reseller, "-5.00", "fee", "adj-1").statusCode(201);
        BillingApi.topUp(reseller, "1.00", "dep-2").statusCode(201);

        BillingApi.adjust(reseller, "-5.00", "fee", "adj-1")
                .statusCode(200)
                .body("balance", equalTo("6.00"))
                .body("amount", equalTo("-5.00"));
        BillingApi.adjust(reseller, "5.00", "fee", "adj-1").statusCode(409).body("code", equalTo("conflict"))
                .body("detail", equalTo("Reference already used with a different amount"));
        BillingApi.adjust(reseller, "-4.00", "fee", "adj-1").statusCode(409);
        assertEquals("6.00", BillingApi.balanceOf(reseller));
    }

    @Test
    void shouldRefuseTheSameReferenceAndAmountWithAnotherReason() {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "10.00", "dep-1").statusCode(201);
        BillingApi.adjust(reseller, "-5.00", "duplicate deposit dep-7", "adj-1").statusCode(201);

        BillingApi.adjust(reseller, "-5.00", "monthly fee", "adj-1")
                .statusCode(409)
                .body("code", equalTo("conflict"))
                .body("detail", equalTo("Reference already used with a different reason"));
        // reasons compare exactly, as references do: what is stored is what an operator reads back
        BillingApi.adjust(reseller, "-5.00", "Duplicate deposit dep-7", "adj-1").statusCode(409);
        BillingApi.adjust(reseller, "-5.00", "duplicate deposit dep-7 ", "adj-1").statusCode(409);
        // the amount is the money: when both differ, the answer names the amount
        BillingApi.adjust(reseller, "-4.00", "monthly fee", "adj-1").statusCode(409)
                .body("detail", equalTo("Reference already used with a different amount"));
        BillingApi.adjust(reseller, "-5.00", "duplicate deposit dep-7", "adj-1").statusCode(200)
                .body("balance", equalTo("5.00"));

        assertEquals(List.of(
                new LedgerTables.Entry("topup", new BigDecimal("10.00"), new BigDecimal("10.00"), "topup:dep-1"),
                new LedgerTables.Entry("adjustment", new BigDecimal("-5.00"), new BigDecimal("5.00"), "adjustment:adj-1")),
                tables.entries(reseller));
        BillingApi.operatorTransactions(reseller, "?limit=1").statusCode(200)
                .body("transactions[0].reason", equalTo("duplicate deposit dep-7"));
    }

    @Test
    void shouldCountAReplayWithAnotherReasonAsAConflict() {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "10.00", "dep-1").statusCode(201);
        BillingApi.adjust(reseller, "1.00", "goodwill", "adj-1").statusCode(201);
        double conflicts = postings("conflict");
        double replays = postings("replayed");

        BillingApi.adjust(reseller, "1.00", "outage credit", "adj-1").statusCode(409);

        assertEquals(conflicts + 1, postings("conflict"));
        assertEquals(replays, postings("replayed"));
    }

    @Test
    void shouldRefuseADebitBelowZero() {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "3.00", "dep-1").statusCode(201);

        BillingApi.adjust(reseller, "-3.01", "fee", "adj-1")
                .statusCode(402)
                .body("code", equalTo("insufficient_balance"));
        BillingApi.adjust(reseller, "-3.00", "fee", "adj-1").statusCode(201).body("balance", equalTo("0.00"));
        // a reseller that never had money: nothing to take, and no account row is left behind
        long empty = Resellers.fresh();
        BillingApi.adjust(empty, "-1.00", "fee", "adj-1").statusCode(402);
        assertEquals(null, tables.accountBalance(empty));
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-0", "0.00", "-0.00", "+5", "--5", "- 5", "-", "1.234", "-1e3", "five", " 5", "-1000000.01", "1000000.01"})
    void shouldRejectAnInvalidSignedAmount(String amount) {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "100.00", "dep-1").statusCode(201);

        BillingApi.adjust(reseller, amount, "fee", "adj-1").statusCode(422).body("code", equalTo("validation_failed"));
        assertEquals("100.00", BillingApi.balanceOf(reseller));
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-0", "0.00", "-0.00", "0.0", "-00", "000.00"})
    void shouldSayAZeroAdjustmentIsZeroNotNegative(String amount) {
        long reseller = Resellers.fresh();
        BillingApi.adjust(reseller, amount, "fee", "adj-0").statusCode(422)
                .body("code", equalTo("validation_failed"))
                .body("detail", equalTo("amount must not be zero (signed: positive credits, negative debits)"));
        assertEquals(null, tables.accountBalance(reseller));
    }

    @Test
    void shouldRequireAReasonOfAtMost200Characters() {
        long reseller = Resellers.fresh();
        BillingApi.adjust(reseller, "5.00", " ", "adj-1").statusCode(422);
        BillingApi.adjust(reseller, "5.00", "x".repeat(201), "adj-1").statusCode(422);
        BillingApi.adjust(reseller, "5.00", "x".repeat(200), "adj-1").statusCode(201);
        given().auth().oauth2(InternalTokens.billing().operator())
                .contentType(ContentType.JSON)
                .body(Map.of("amount", "5.00", "reference", "adj-2"))
                .post("/internal/resellers/{id}/adjustments", reseller)
                .then().statusCode(422);
        BillingApi.adjust(reseller, "5.00", "fee", " ").statusCode(422);
    }

    @Test
    void shouldRefuseAResellerTokenAndAnOddResellerId() {
        long reseller = Resellers.fresh();
        given().auth().oauth2(InternalTokens.billing().reseller(reseller))
                .contentType(ContentType.JSON)
                .body(Map.of("amount", "5.00", "reason", "mine", "reference", "adj-1"))
                .post("/internal/resellers/{id}/adjustments", reseller)
                .then().statusCode(403);
        given().auth().oauth2(InternalTokens.billing().operator())
                .contentType(ContentType.JSON)
                .body(Map.of("amount", "5.00", "reason", "x", "reference", "adj-1"))
                .post("/internal/resellers/07/adjustments")
                .then().statusCode(404);
    }

    private double postings(String outcome) {
        Counter counter = registry.find("billing.ledger.postings").tags("kind", "adjustment", "outcome", outcome).counter();
        return counter == null ? 0 : counter.count();
    }
}
