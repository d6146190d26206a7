package com.proxyvault.billing.support;

import com.proxyvault.platform.auth.InternalTokens;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;

import java.util.Map;

import static io.restassured.RestAssured.given;

/** The service's HTTP API as the gateway and order-service call it. */
public final class BillingApi {

    private BillingApi() {
    }

    public static ValidatableResponse topUp(long resellerId, String amount, String reference) {
        return given().auth().oauth2(InternalTokens.billing().operator())
                .contentType(ContentType.JSON)
                .body(Map.of("amount", amount, "reference", reference))
                .post("/internal/resellers/{id}/topups", resellerId)
                .then();
    }

    public static ValidatableResponse charge(long resellerId, String reference, String amount) {
        return given().auth().oauth2(InternalTokens.billing().reseller(resellerId))
                .contentType(ContentType.JSON)
                .body(Map.of("reference", reference, "amount", amount, "description", "test charge"))
                .post("/internal/charges")
                .then();
    }

    /** A charge as order-service will send it, with the order id next to the reference. */
    public static ValidatableResponse charge(long resellerId, String reference, String amount, long orderId) {
        return given().auth().oauth2(InternalTokens.billing().reseller(resellerId))
                .contentType(ContentType.JSON)
                .body(Map.of("reference", reference, "amount", amount, "order_id", orderId))
                .post("/internal/charges")
                .then();
    }

    public static ValidatableResponse refund(long resellerId, long orderId, String chargeReference, String reason) {
        return given().auth().oauth2(InternalTokens.billing().reseller(resellerId))
                .contentType(ContentType.JSON)
                .body(Map.of("order_id", orderId, "charge_reference", chargeReference, "reason", reason))
                .post("/internal/refunds")
                .then();
    }

    public static ValidatableResponse adjust(long resellerId, String amount, String reason, String reference) {
        return given().auth().oauth2(InternalTokens.billing().operator())
                .contentType(ContentType.JSON)
                .body(Map.of("amount", amount, "reason", reason, "reference", reference))
                .post("/internal/resellers/{id}/adjustments", resellerId)
                .then();
    }

    public static ValidatableResponse transactions(long resellerId, String query) {
        return given().auth().oauth2(InternalTokens.billing().reseller(resellerId))
                .get("/v1/reseller/balance/transactions" + query)
                .then();
    }

    /** {@code GET /internal/resellers/{id}/transactions} as the gateway's operator API would call it. */
    public static ValidatableResponse operatorTransactions(long resellerId, String query) {
        return given().auth().oauth2(InternalTokens.billing().operator())
                .get("/internal/resellers/{id}/transactions" + query, resellerId)
                .then();
    }

    public static ValidatableResponse balance(long resellerId) {
        return given().auth().oauth2(InternalTokens.billing().reseller(resellerId))
                .get("/v1/reseller/balance")
                .then();
    }

    public static String balanceOf(long resellerId) {
        return balance(resellerId).statusCode(200).extract().path("balance");
    }
}
