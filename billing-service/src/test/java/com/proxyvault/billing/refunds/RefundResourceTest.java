package com.proxyvault.billing.refunds;

import com.proxyvault.billing.support.BillingApi;
import com.proxyvault.billing.support.LedgerTables;
import com.proxyvault.billing.support.OrderFailures;
import com.proxyvault.billing.support.Resellers;
import com.proxyvault.platform.auth.InternalTokens;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.math.BigDecimal;
import java.util.List;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@code POST /internal/refunds}, order-service's way to give a charge back. */
@QuarkusTest
class RefundResourceTest {

    @Inject
    LedgerTables tables;
    @Inject
    OrderFailures failures;

    @Test
    void shouldRefundExactlyTheChargeOnceAndReplayTheSecondCall() {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "100.00", "dep-1").statusCode(201);
        BillingApi.charge(reseller, "order:42", "20.00", 42).statusCode(201);

        BillingApi.refund(reseller, 42, "order:42", "provisioning failed")
                .statusCode(201)
                .body("reference", equalTo("refund:order:42"))
                .body("amount", equalTo("20.00"))
                .body("balance", equalTo("100.00"))
                .body("currency", equalTo("USD"));
        BillingApi.charge(reseller, "order:43", "30.00", 43).statusCode(201);
        BillingApi.refund(reseller, 42, "order:42", "provisioning failed (retry)")
                .statusCode(200)
                .body("reference", equalTo("refund:order:42"))
                .body("amount", equalTo("20.00"))
                .body("balance", equalTo("70.00"));

        List<LedgerTables.Entry> refunds = tables.entries(reseller).stream().filter(entry -> entry.kind().equals("refund")).toList();
        assertEquals(List.of(new LedgerTables.Entry("refund", new BigDecimal("20.00"), new BigDecimal("100.00"), "refund:order:42")), refunds);
        assertEquals(42, tables.queryLong("select order_id from ledger_entries where reseller_id = " + reseller
                + " and reference = 'refund:order:42'"));
    }

    @Test
    void shouldAnswer404ForAChargeThatIsNotTheCallers() {
        long owner = Resellers.fresh();
        long other = Resellers.fresh();
        BillingApi.topUp(owner, "100.00", "dep-1").statusCode(201);
        BillingApi.charge(owner, "order:42", "20.00", 42).statusCode(201);

        BillingApi.refund(other, 42, "order:42", "no").statusCode(404).body("code", equalTo("not_found"));
        BillingApi.refund(owner, 41, "order:41", "no").statusCode(404);
        BillingApi.refund(owner, 43, "order:42", "another order").statusCode(404);
        // a top-up is not a charge
        BillingApi.refund(owner, 42, "topup:dep-1", "no").statusCode(404);
        assertEquals("80.00", BillingApi.balanceOf(owner));
    }

    @Test
    void shouldAnswer409WhenTheListenerAlreadyRefundedAndNeverRefundTwice() {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "100.00", "dep-1").statusCode(201);
        BillingApi.charge(reseller, "order:5001", "25.00").statusCode(201);
        failures.send(reseller, 5001, "25.00", "No free modem");
        tables.awaitEntry(reseller, "refund:order:5001");

        BillingApi.refund(reseller, 5001, "order:5001", "provisioning failed")
                .statusCode(409)
                .body("code", equalTo("conflict"));
        assertEquals("100.00", BillingApi.balanceOf(reseller));
    }

    @Test
    void shouldNotLetTheListenerRefundWhatTheEndpointRefunded() {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "100.00", "dep-1").statusCode(201);
        BillingApi.charge(reseller, "order:5101", "25.00", 5101).statusCode(201);
        BillingApi.charge(reseller, "order:5102", "5.00", 5102).statusCode(201);
        BillingApi.refund(reseller, 5101, "order:5101", "provisioning failed").statusCode(201);

        failures.send(reseller, 5101, "25.00", "No free modem");
        failures.send(reseller, 5102, "5.00", "No free modem"); // the marker: handled after the first
        tables.awaitEntry(reseller, "refund:order:5102");

        assertEquals("100.00", BillingApi.balanceOf(reseller));
        assertEquals(2, tables.entries(reseller).stream().filter(entry -> entry.kind().equals("refund")).count());
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{\"charge_reference\": \"order:1\", \"reason\": \"x\"}",
            "{\"order_id\": 0, \"charge_reference\": \"order:1\", \"reason\": \"x\"}",
            "{\"order_id\": 1, \"reason\": \"x\"}",
            "{\"order_id\": 1, \"charge_reference\": \"order:1\"}",
            "{\"order_id\": 1, \"charge_reference\": \"order:1\", \"reason\": \" \"}",
            "{\"order_id\": \"1\", \"charge_reference\": \"order:1\", \"reason\": \"x\"}",
            "{\"order_id\": 1, \"charge_reference\": \"order:1\", \"reason\": \"x\", \"amount\": \"5.00\"}"})
    void shouldRejectAnInvalidRefundRequest(String body) {
        given().auth().oauth2(InternalTokens.billing().reseller(Resellers.fresh()))
                .contentType(ContentType.JSON)
                .body(body)
                .post("/internal/refunds")
                .then().statusCode(422)
                .body("code", equalTo("validation_failed"));
    }

    @Test
    void shouldRefuseAnOperatorTokenOrNoToken() {
        given().auth().oauth2(InternalTokens.billing().operator())
                .contentType(ContentType.JSON)
                .body("{\"order_id\": 1, \"charge_reference\": \"order:1\", \"reason\": \"x\"}")
                .post("/internal/refunds")
                .then().statusCode(403);
        given().contentType(ContentType.JSON)
                .body("{\"order_id\": 1, \"charge_reference\": \"order:1\", \"reason\": \"x\"}")
                .post("/internal/refunds")
                .then().statusCode(401);
    }
}
