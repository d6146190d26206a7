package com.proxyvault.billing.charges;

import com.proxyvault.billing.support.BillingApi;
import com.proxyvault.billing.support.LedgerTables;
import com.proxyvault.billing.support.LedgerTables.Entry;
import com.proxyvault.billing.support.Resellers;
import com.proxyvault.platform.auth.InternalTokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@QuarkusTest
class ChargeResourceTest {

    @Inject
    LedgerTables tables;

    @TestHTTPResource("/internal/charges")
    URI chargesUri;

    @Test
    void shouldDebitTheBalance() {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "100.00", "dep-1").statusCode(201);

        BillingApi.charge(reseller, "order:42", "20.00")
                .statusCode(201)
                .body("reference", equalTo("order:42"))
                .body("amount", equalTo("20.00"))
                .body("balance", equalTo("80.00"))
                .body("currency", equalTo("USD"));

        assertEquals("80.00", BillingApi.balanceOf(reseller));
        assertEquals(new Entry("charge", new BigDecimal("-20.00"), new BigDecimal("80.00"), "order:42"),
                tables.entries(reseller).get(1));
    }

    @Test
    void shouldRefuseAChargeBeyondTheBalance() {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "10.00", "dep-1").statusCode(201);
        List<Entry> before = tables.entries(reseller);

        BillingApi.charge(reseller, "order:42", "20.00")
                .statusCode(402)
                .body("detail", equalTo("Insufficient balance"));

        assertEquals("10.00", BillingApi.balanceOf(reseller));
        assertEquals(before, tables.entries(reseller));
    }

    @Test
    void shouldRefuseAChargeForAResellerThatNeverHadMoneyWithoutCreatingAnAccount() {
        long reseller = Resellers.fresh();

        BillingApi.charge(reseller, "order:42", "0.01")
                .statusCode(402)
                .body("detail", equalTo("Insufficient balance"));

        assertNull(tables.accountBalance(reseller), "a refused charge must leave nothing behind");
        assertTrue(tables.entries(reseller).isEmpty());
    }

    @Test
    void shouldRefuseAnAmountSentAsAJsonNumber() {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "100.00", "dep-1").statusCode(201);

        given().auth().oauth2(InternalTokens.billing().reseller(reseller))
                .contentType(ContentType.JSON)
                .body("{\"reference\": \"order:42\", \"amount\": 20.5}")
                .post("/internal/charges")
                .then().statusCode(422)
                .body("code", equalTo("validation_failed"))
                .body("detail", containsString("amount"));
        assertEquals("100.00", BillingApi.balanceOf(reseller));
    }

    @Test
    void shouldChargeTheWholeBalance() {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "20.00", "dep-1").statusCode(201);

        BillingApi.charge(reseller, "order:42", "20.00").statusCode(201).body("balance", equalTo("0.00"));
    }

    @Test
    void shouldChargeTheSameReferenceOnlyOnce() {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "100.00", "dep-1").statusCode(201);
        BillingApi.charge(reseller, "order:42", "20.00").statusCode(201);

        BillingApi.charge(reseller, "order:42", "20.00")
                .statusCode(200)
                .body("reference", equalTo("order:42"))
                .body("amount", equalTo("20.00"))
                .body("balance", equalTo("80.00"))
                .body("currency", equalTo("USD"));

        assertEquals("80.00", BillingApi.balanceOf(reseller));
        assertEquals(1, tables.entries(reseller).stream().filter(entry -> entry.kind().equals("charge")).count());
    }

    @Test
    void shouldReplayAnEarlierChargeEvenWhenTheBalanceIsNowTooLow() {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "20.00", "dep-1").statusCode(201);
        BillingApi.charge(reseller, "order:42", "20.00").statusCode(201);

        // A retry of a charge that went through must not be told "Insufficient balance".
        BillingApi.charge(reseller, "order:42", "20.00").statusCode(200).body("balance", equalTo("0.00"));
    }

    @Test
    void shouldRefuseAReferenceReusedWithAnotherAmount() {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "100.00", "dep-1").statusCode(201);
        BillingApi.charge(reseller, "order:42", "20.00").statusCode(201);

        BillingApi.charge(reseller, "order:42", "25.00")
                .statusCode(409)
                .body("detail", equalTo("Reference already used with a different amount"));
        assertEquals("80.00", BillingApi.balanceOf(reseller));
    }

    @Test
    void shouldKeepReferencesApartPerReseller() {
        long first = Resellers.fresh();
        long second = Resellers.fresh();
        BillingApi.topUp(first, "50.00", "dep-1").statusCode(201);
        BillingApi.topUp(second, "50.00", "dep-1").statusCode(201);

        BillingApi.charge(first, "order:42", "20.00").statusCode(201).body("balance", equalTo("30.00"));
        BillingApi.charge(second, "order:42", "10.00").statusCode(201).body("balance", equalTo("40.00"));
    }

    @Test
    void shouldChargeOnlyWhatTheBalanceCoversWhenChargesRace() throws Exception {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "100.00", "dep-1").statusCode(201);
        String token = InternalTokens.billing().reseller(reseller);
        HttpClient client = HttpClient.newHttpClient();
        ExecutorService pool = Executors.newFixedThreadPool(20);
        CountDownLatch startTogether = new CountDownLatch(1);
        List<Future<Integer>> statuses = new ArrayList<>();
        try {
            for (int order = 1; order <= 20; order++) {
                HttpRequest request = HttpRequest.newBuilder(chargesUri)
                        .header("Authorization", "Bearer " + token)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(
                                "{\"reference\": \"order:" + order + "\", \"amount\": \"10.00\"}"))
                        .build();
                statuses.add(pool.submit(() -> {
                    startTogether.await();
                    return client.send(request, HttpResponse.BodyHandlers.ofString()).statusCode();
                }));
            }
            startTogether.countDown();
            List<Integer> answers = new ArrayList<>();
            for (Future<Integer> status : statuses) {
                answers.add(status.get());
            }

            assertEquals(10, answers.stream().filter(status -> status == 201).count(), answers.toString());
            assertEquals(10, answers.stream().filter(status -> status == 402).count(), answers.toString());
        } finally {
            pool.shutdownNow();
        }
        assertEquals("0.00", BillingApi.balanceOf(reseller));
        assertEquals(new BigDecimal("0.00"), tables.ledgerSum(reseller));
        List<Entry> entries = tables.entries(reseller);
        assertEquals(11, entries.size());
        assertTrue(entries.stream().allMatch(entry -> entry.balanceAfter().signum() >= 0), entries.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "0.00", "-10.00", "ten", "10.001", " ", "1000000000000", "1e3", " 5", "0x10", "1000000.01", "5.", "+5"})
    void shouldRejectAnInvalidAmount(String amount) {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "100.00", "dep-1").statusCode(201);

        BillingApi.charge(reseller, "order:42", amount)
                .statusCode(422)
                .body("detail", notNullValue());
        assertEquals("100.00", BillingApi.balanceOf(reseller));
    }

    @ParameterizedTest
    @ValueSource(strings = {"topup:dep-1", "refund:order:42", "adjustment:adj-1", " "})
    void shouldRejectAReferenceThatIsEmptyOrBelongsToAnotherKindOfEntry(String reference) {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "100.00", "dep-1").statusCode(201);

        BillingApi.charge(reseller, reference, "10.00")
                .statusCode(422)
                .body("detail", notNullValue());
        assertEquals("100.00", BillingApi.balanceOf(reseller));
    }

    @Test
    void shouldRejectAChargeWithoutBody() {
        given().auth().oauth2(InternalTokens.billing().reseller(Resellers.fresh()))
                .contentType(ContentType.JSON)
                .post("/internal/charges")
                .then().statusCode(422)
                .body("detail", notNullValue());
    }

    @ParameterizedTest
    @ValueSource(strings = {"[]", "{\"reference\": \"order:42\", \"amount\": {\"value\": 10}}"})
    void shouldRejectABodyOfTheWrongShape(String body) {
        given().auth().oauth2(InternalTokens.billing().reseller(Resellers.fresh()))
                .contentType(ContentType.JSON)
                .body(body)
                .post("/internal/charges")
                .then().statusCode(422)
                .body("detail", notNullValue());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "[1,2|400|malformed_json|Malformed",
            "{\"reference\": \"order:1\", \"amount\": \"1.00\"} x|400|malformed_json|Malformed",
            "{\"reference\": \"order:1\", \"amount\": \"1.00\"}{}|400|malformed_json|Malformed",
            "{\"reference\": 5, \"amount\": \"1.00\"}|422|validation_failed|reference",
            "{\"reference\": \"order:1\", \"amount\": 5}|422|validation_failed|amount",
            "{\"reference\": \"order:1\", \"amount\": null}|422|validation_failed|amount",
            "{\"reference\": \"order:\\u00001\", \"amount\": \"1.00\"}|422|validation_failed|reference",
            "{\"reference\": \"order:1\", \"amount\": \"1.00\", \"description\": \"a\\nb\"}|422|validation_failed|description",
            "{\"reference\": \"order:1\", \"amount\": \"1.00\", \"reseller_id\": 9}|422|validation_failed|reseller_id"})
    void shouldJudgeTheBodyStrictlyAndChangeNothing(String body, int status, String code, String detail) {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "100.00", "dep-1").statusCode(201);

        given().auth().oauth2(InternalTokens.billing().reseller(reseller))
                .contentType(ContentType.JSON)
                .body(body)
                .post("/internal/charges")
                .then().statusCode(status)
                .body("code", equalTo(code))
                .body("detail", containsString(detail));
        assertEquals("100.00", BillingApi.balanceOf(reseller));
    }

    @Test
    void shouldRefuseAReferenceLongerThan100Characters() {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "100.00", "dep-1").statusCode(201);

        BillingApi.charge(reseller, "r".repeat(101), "1.00").statusCode(422).body("detail", containsString("reference"));
        BillingApi.charge(reseller, "r".repeat(100), "1.00").statusCode(201);
    }

    @Test
    void shouldAcceptTheOrderServiceTokenItPassesOn() {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "100.00", "dep-1").statusCode(201);

        given().auth().oauth2(InternalTokens.orders().reseller(reseller))
                .contentType(ContentType.JSON)
                .body(Map.of("reference", "order:7", "amount", "10.00"))
                .post("/internal/charges")
                .then().statusCode(201).body("balance", equalTo("90.00"));
    }

    @Test
    void shouldRefuseAnOperatorToken() {
        given().auth().oauth2(InternalTokens.billing().operator())
                .contentType(ContentType.JSON)
                .body(Map.of("reference", "order:42", "amount", "10.00"))
                .post("/internal/charges")
                .then().statusCode(403)
                .body("detail", equalTo("Forbidden"));
    }

    @Test
    void shouldStoreTheOrderIdOfACharge() {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "100.00", "dep-1").statusCode(201);

        BillingApi.charge(reseller, "order:42", "20.00", 42).statusCode(201);
        BillingApi.charge(reseller, "order:42", "20.00", 42).statusCode(200).body("balance", equalTo("80.00"));

        assertEquals(42, tables.queryLong("select order_id from ledger_entries where reseller_id = " + reseller
                + " and reference = 'order:42'"));
    }

    @Test
    void shouldRefuseAnOrderIdThatContradictsTheReference() {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "100.00", "dep-1").statusCode(201);

        BillingApi.charge(reseller, "order:42", "20.00", 43).statusCode(422).body("code", equalTo("validation_failed"));
        given().auth().oauth2(InternalTokens.billing().reseller(reseller))
                .contentType(ContentType.JSON)
                .body(Map.of("reference", "order:42", "amount", "20.00", "order_id", 0))
                .post("/internal/charges")
                .then().statusCode(422);
        assertEquals("100.00", BillingApi.balanceOf(reseller));
    }

    @Test
    void shouldRefuseAReplayNamingAnotherOrder() {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "100.00", "dep-1").statusCode(201);
        BillingApi.charge(reseller, "batch-1", "20.00", 42).statusCode(201);

        BillingApi.charge(reseller, "batch-1", "20.00", 43).statusCode(409);
        BillingApi.charge(reseller, "batch-1", "20.00").statusCode(200);
        assertEquals("80.00", BillingApi.balanceOf(reseller));
    }
}
