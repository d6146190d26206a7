package com.proxyvault.billing.accounts;

import com.proxyvault.billing.support.BillingApi;
import com.proxyvault.billing.support.Resellers;
import com.proxyvault.platform.auth.InternalTokens;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code GET /internal/resellers/{id}/transactions}: a reseller's ledger for an operator, the reseller's listing
 * plus each adjustment's reason (operator review, finding 1).
 */
@QuarkusTest
class OperatorTransactionsResourceTest {

    @Test
    void shouldShowEachAdjustmentsReasonAndNoReasonForOtherKinds() {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "100.00", "dep-1").statusCode(201);
        BillingApi.charge(reseller, "order:42", "20.00", 42).statusCode(201);
        BillingApi.refund(reseller, 42, "order:42", "provisioning failed").statusCode(201);
        BillingApi.adjust(reseller, "-1.50", "duplicate deposit dep-7", "adj-1").statusCode(201);
        BillingApi.adjust(reseller, "2.00", "goodwill: outage 2026-05-24", "adj-2").statusCode(201);

        var body = BillingApi.operatorTransactions(reseller, "").statusCode(200)
                .body("total", equalTo(5))
                .body("transactions.type", equalTo(List.of("adjustment", "adjustment", "refund", "charge", "topup")))
                .body("transactions.reason", equalTo(Arrays.asList(
                        "goodwill: outage 2026-05-24", "duplicate deposit dep-7", null, null, null)))
                .extract().jsonPath();
        Map<String, Object> adjustment = body.getMap("transactions[1]");
        assertEquals(Set.of("id", "type", "amount", "balance_after", "order_id", "reference", "reason", "created_at"),
                adjustment.keySet());
        assertTrue(body.getMap("transactions[2]").containsKey("reason"), "reason present, null, on other kinds");
    }

    @Test
    void shouldListWhatTheResellersOwnListingListsPlusTheReason() {
        long reseller = Resellers.fresh();
        for (int i = 1; i <= 4; i++) {
            BillingApi.topUp(reseller, i + ".00", "dep-" + i).statusCode(201);
        }
        BillingApi.adjust(reseller, "-0.50", "fee", "adj-1").statusCode(201);

        List<Map<String, Object>> operators = BillingApi.operatorTransactions(reseller, "?limit=3&offset=1")
                .statusCode(200).body("total", equalTo(5)).extract().jsonPath().getList("transactions");
        List<Map<String, Object>> resellers = BillingApi.transactions(reseller, "?limit=3&offset=1")
                .statusCode(200).body("total", equalTo(5)).extract().jsonPath().getList("transactions");
        assertEquals(resellers, operators.stream().map(entry -> {
            Map<String, Object> copy = new java.util.LinkedHashMap<>(entry);
            copy.remove("reason");
            return copy;
        }).toList());
    }

    @Test
    void shouldKeepTheResellersOwnListingWithoutTheReason() {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "10.00", "dep-1").statusCode(201);
        BillingApi.adjust(reseller, "-1.00", "internal note: chargeback review", "adj-1").statusCode(201);

        Map<String, Object> entry = BillingApi.transactions(reseller, "?limit=1").statusCode(200)
                .extract().jsonPath().getMap("transactions[0]");
        assertEquals(Set.of("id", "type", "amount", "balance_after", "order_id", "reference", "created_at"),
                entry.keySet());
        assertFalse(entry.containsValue("internal note: chargeback review"));
    }

    @Test
    void shouldListNothingForAResellerThatNeverHadMoney() {
        BillingApi.operatorTransactions(Resellers.fresh(), "").statusCode(200)
                .body("total", equalTo(0))
                .body("transactions", equalTo(List.of()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"?limit=0", "?limit=101", "?offset=-1", "?limit=1e1"})
    void shouldRejectBadPaging(String query) {
        BillingApi.operatorTransactions(Resellers.fresh(), query).statusCode(422).body("code", equalTo("validation_failed"));
    }

    @Test
    void shouldRefuseAResellerTokenAndAnOddResellerId() {
        long reseller = Resellers.fresh();
        given().auth().oauth2(InternalTokens.billing().reseller(reseller))
                .get("/internal/resellers/{id}/transactions", reseller)
                .then().statusCode(403).body("code", equalTo("forbidden"));
        given().get("/internal/resellers/{id}/transactions", reseller)
                .then().statusCode(401).body("code", equalTo("unauthorized"));
        given().auth().oauth2(InternalTokens.billing().operator())
                .get("/internal/resellers/07/transactions")
                .then().statusCode(404).body("code", equalTo("not_found"));
    }
}
