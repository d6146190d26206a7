package com.proxyvault.billing.accounts;

import com.proxyvault.billing.support.BillingApi;
import com.proxyvault.billing.support.Resellers;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Map;

import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.matchesPattern;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code GET /v1/reseller/balance/transactions}: the caller's ledger, newest first. */
@QuarkusTest
class TransactionsResourceTest {

    @Test
    void shouldListEveryKindNewestFirstWithSignedAmountsThatAddUp() {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "100.00", "dep-1").statusCode(201);
        BillingApi.charge(reseller, "order:42", "20.00", 42).statusCode(201);
        BillingApi.refund(reseller, 42, "order:42", "provisioning failed").statusCode(201);
        BillingApi.charge(reseller, "batch-7", "5.00").statusCode(201);
        BillingApi.adjust(reseller, "-1.50", "fee", "adj-1").statusCode(201);

        var body = BillingApi.transactions(reseller, "").statusCode(200)
                .body("total", equalTo(5))
                .body("transactions.type", equalTo(List.of("adjustment", "charge", "refund", "charge", "topup")))
                .body("transactions.amount", equalTo(List.of("-1.50", "-5.00", "20.00", "-20.00", "100.00")))
                .body("transactions.balance_after", equalTo(List.of("93.50", "95.00", "100.00", "80.00", "100.00")))
                .body("transactions.order_id", equalTo(java.util.Arrays.asList(null, null, 42, 42, null)))
                .body("transactions.reference", equalTo(List.of("adjustment:adj-1", "batch-7", "refund:order:42", "order:42", "topup:dep-1")))
                .body("transactions[0].created_at", matchesPattern("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}"))
                .extract().jsonPath();
        List<Integer> ids = body.getList("transactions.id");
        for (int i = 1; i < ids.size(); i++) {
            assertTrue(ids.get(i - 1) > ids.get(i), "newest first: " + ids);
        }
        assertEquals(Map.of("id", ids.get(0), "type", "adjustment", "amount", "-1.50", "balance_after", "93.50",
                "reference", "adjustment:adj-1", "created_at", body.getString("transactions[0].created_at")),
                withoutNulls(body.getMap("transactions[0]")));
        assertTrue(body.getMap("transactions[0]").containsKey("order_id"), "order_id present, null");
    }

    @Test
    void shouldPageWithLimitAndOffset() {
        long reseller = Resellers.fresh();
        for (int i = 1; i <= 5; i++) {
            BillingApi.topUp(reseller, i + ".00", "dep-" + i).statusCode(201);
        }
        BillingApi.transactions(reseller, "?limit=2&offset=1").statusCode(200)
                .body("total", equalTo(5))
                .body("transactions.reference", equalTo(List.of("topup:dep-4", "topup:dep-3")));
        BillingApi.transactions(reseller, "?offset=5").statusCode(200)
                .body("total", equalTo(5))
                .body("transactions", equalTo(List.of()));
    }

    @Test
    void shouldShowOnlyTheCallersOwnEntries() {
        long reseller = Resellers.fresh();
        long other = Resellers.fresh();
        BillingApi.topUp(other, "10.00", "dep-1").statusCode(201);

        BillingApi.transactions(reseller, "").statusCode(200)
                .body("total", equalTo(0))
                .body("transactions", equalTo(List.of()));
        BillingApi.transactions(other, "").statusCode(200).body("total", equalTo(1));
    }

    @Test
    void shouldDeriveTheOrderIdOfAChargeFromItsReferenceWhenOrderServiceSendsNone() {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "10.00", "dep-1").statusCode(201);
        BillingApi.charge(reseller, "order:77", "1.00").statusCode(201);

        BillingApi.transactions(reseller, "?limit=1").statusCode(200)
                .body("transactions[0].order_id", equalTo(77));
    }

    @ParameterizedTest
    @ValueSource(strings = {"?limit=0", "?limit=101", "?limit=+5", "?offset=-1", "?limit=1e1"})
    void shouldRejectBadPaging(String query) {
        BillingApi.transactions(Resellers.fresh(), query).statusCode(422).body("code", equalTo("validation_failed"));
    }

    @Test
    void shouldRequireAResellerToken() {
        RestAssured.given().get("/v1/reseller/balance/transactions").then().statusCode(401)
                .body("code", equalTo("unauthorized"));
    }

    private static Map<String, Object> withoutNulls(Map<String, Object> map) {
        Map<String, Object> copy = new java.util.HashMap<>(map);
        copy.values().removeIf(java.util.Objects::isNull);
        return copy;
    }
}
