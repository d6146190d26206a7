package com.proxyvault.billing.topups;

import com.proxyvault.billing.support.BillingApi;
import com.proxyvault.billing.support.LedgerTables;
import com.proxyvault.billing.support.LedgerTables.Entry;
import com.proxyvault.billing.support.Resellers;
import com.proxyvault.platform.auth.InternalTokens;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import jakarta.inject.Inject;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

@QuarkusTest
class TopupResourceTest {

    @Inject
    LedgerTables tables;

    @Test
    void shouldCreditATopUpAndRecordItInTheLedger() {
        long reseller = Resellers.fresh();

        BillingApi.topUp(reseller, "100.00", "dep-1")
                .statusCode(201)
                .body("balance", equalTo("100.00"))
                .body("currency", equalTo("USD"));

        assertEquals("100.00", BillingApi.balanceOf(reseller));
        assertEquals(List.of(new Entry("topup", new BigDecimal("100.00"), new BigDecimal("100.00"), "topup:dep-1")),
                tables.entries(reseller));
    }

    @Test
    void shouldAcceptAtMostOneMillionPerTopUp() {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "1000000.01", "dep-over").statusCode(422).body("detail", containsString("amount"));
        BillingApi.topUp(reseller, "1000000.00", "dep-max").statusCode(201).body("balance", equalTo("1000000.00"));
    }

    @Test
    void shouldCreditTheSameReferenceOnlyOnce() {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "100.00", "dep-1").statusCode(201);

        BillingApi.topUp(reseller, "100.00", "dep-1")
                .statusCode(200)
                .body("balance", equalTo("100.00"))
                .body("currency", equalTo("USD"));

        assertEquals("100.00", BillingApi.balanceOf(reseller));
        assertEquals(1, tables.entries(reseller).size());
    }

    @Test
    void shouldAnswerARepeatedTopUpWithTheCurrentBalance() {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "100.00", "dep-1").statusCode(201);
        BillingApi.charge(reseller, "order:1", "30.00").statusCode(201);

        BillingApi.topUp(reseller, "100.00", "dep-1").statusCode(200).body("balance", equalTo("70.00"));
    }

    @Test
    void shouldRefuseAReferenceReusedWithAnotherAmount() {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "100.00", "dep-1").statusCode(201);

        BillingApi.topUp(reseller, "50.00", "dep-1")
                .statusCode(409)
                .body("detail", equalTo("Reference already used with a different amount"));
        assertEquals("100.00", BillingApi.balanceOf(reseller));
    }

    @Test
    void shouldNotConfuseATopUpReferenceWithAChargeReference() {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "100.00", "order:1").statusCode(201);

        // The top-up is stored as topup:order:1, so the order's charge is a different entry.
        BillingApi.charge(reseller, "order:1", "100.00").statusCode(201).body("balance", equalTo("0.00"));
    }

    @Test
    void shouldRefuseAResellerToken() {
        long reseller = Resellers.fresh();

        given().auth().oauth2(InternalTokens.billing().reseller(reseller))
                .contentType(ContentType.JSON)
                .body(Map.of("amount", "100.00", "reference", "dep-1"))
                .post("/internal/resellers/{id}/topups", reseller)
                .then().statusCode(403)
                .body("detail", equalTo("Forbidden"));
        assertNull(tables.accountBalance(reseller));
    }

    @Test
    void shouldRefuseACallWithoutAToken() {
        given().contentType(ContentType.JSON)
                .body(Map.of("amount", "100.00", "reference", "dep-1"))
                .post("/internal/resellers/{id}/topups", Resellers.fresh())
                .then().statusCode(401)
                .body("detail", notNullValue());
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "0.00", "-5.00", "abc", "1.234", "", "1e400", "1e3", " 5", "0x10", "1000000000000.00"})
    void shouldRejectAnInvalidAmount(String amount) {
        long reseller = Resellers.fresh();

        BillingApi.topUp(reseller, amount, "dep-1")
                .statusCode(422)
                .body("detail", notNullValue());
        assertNull(tables.accountBalance(reseller));
    }

    /** "dep-1 " was a second deposit beside "dep-1" (new-user review 5, finding 4): surrounding space is refused. */
    @ParameterizedTest
    @ValueSource(strings = {"dep-1 ", " dep-1", "dep-1\u00A0", "dep\u200B-1"})
    void shouldRefuseAReferenceWithSurroundingSpaceOrAnInvisibleCharacter(String reference) {
        long reseller = Resellers.fresh();
        given().auth().oauth2(InternalTokens.billing().operator()).contentType(ContentType.JSON)
                .body(Map.of("amount", "10.00", "reference", reference))
                .post("/internal/resellers/{id}/topups", reseller)
                .then().statusCode(422).body("code", equalTo("validation_failed")).body("detail", containsString("reference"));
        assertNull(tables.accountBalance(reseller));
    }

    @Test
    void shouldRejectAMissingAmountOrReference() {
        long reseller = Resellers.fresh();
        given().auth().oauth2(InternalTokens.billing().operator()).contentType(ContentType.JSON)
                .body(Map.of("reference", "dep-1"))
                .post("/internal/resellers/{id}/topups", reseller)
                .then().statusCode(422).body("code", equalTo("validation_failed")).body("detail", containsString("amount"));
        given().auth().oauth2(InternalTokens.billing().operator()).contentType(ContentType.JSON)
                .body(Map.of("amount", "10.00"))
                .post("/internal/resellers/{id}/topups", reseller)
                .then().statusCode(422).body("code", equalTo("validation_failed")).body("detail", containsString("reference"));
    }

    @Test
    void shouldRejectMalformedJson() {
        given().auth().oauth2(InternalTokens.billing().operator()).contentType(ContentType.JSON)
                .body("{\"amount\": ")
                .post("/internal/resellers/{id}/topups", Resellers.fresh())
                .then().statusCode(400)
                .body("code", equalTo("malformed_json"));
    }

    @Test
    void shouldRefuseANumberForTheAmount() {
        given().auth().oauth2(InternalTokens.billing().operator()).contentType(ContentType.JSON)
                .body("{\"amount\": 5, \"reference\": \"dep-1\"}")
                .post("/internal/resellers/{id}/topups", Resellers.fresh())
                .then().statusCode(422).body("detail", containsString("amount"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"01", "+1", "0", "1e0", "99999999999999999999"})
    void shouldAnswer404ForAMalformedResellerId(String id) {
        given().auth().oauth2(InternalTokens.billing().operator()).contentType(ContentType.JSON)
                .body(Map.of("amount", "1.00", "reference", "dep-1"))
                .post("/internal/resellers/" + id + "/topups")
                .then().statusCode(404).body("code", equalTo("not_found"));
    }
}
