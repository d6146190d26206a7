package com.proxyvault.billing.accounts;

import com.proxyvault.billing.support.BillingApi;
import com.proxyvault.billing.support.LedgerTables;
import com.proxyvault.billing.support.Resellers;
import com.proxyvault.contracts.auth.InternalJwt;
import com.proxyvault.platform.auth.InternalTokens;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.jwt.build.Jwt;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertNull;

@QuarkusTest
class BalanceResourceTest {

    @Inject
    LedgerTables tables;

    @Test
    void shouldReportZeroForAResellerThatNeverHadMoney() {
        long reseller = Resellers.fresh();

        BillingApi.balance(reseller)
                .statusCode(200)
                .body("balance", equalTo("0.00"))
                .body("currency", equalTo("USD"));
        assertNull(tables.accountBalance(reseller), "reading a balance must not create an account");
    }

    @Test
    void shouldReportTheBalanceAsAString() {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "150", "dep-1").statusCode(201);

        BillingApi.balance(reseller)
                .statusCode(200)
                .body("balance", equalTo("150.00"))
                .body("currency", equalTo("USD"));
    }

    @Test
    void shouldRefuseARequestWithoutAToken() {
        given().get("/v1/reseller/balance")
                .then().statusCode(401)
                .header("WWW-Authenticate", equalTo("Bearer"))
                .body("detail", equalTo("Not authenticated"))
                .body("code", equalTo("unauthorized"));
    }

    @Test
    void shouldRefuseATokenNotSignedByTheGateway() throws NoSuchAlgorithmException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        String forged = Jwt.issuer(InternalJwt.ISSUER)
                .subject("7")
                .claim(InternalJwt.RESELLER_ID_CLAIM, 7L)
                .groups(InternalJwt.RESELLER_ROLE)
                .audience(InternalJwt.AUDIENCE_BILLING)
                .expiresIn(60)
                .sign(generator.generateKeyPair().getPrivate());

        given().auth().oauth2(forged).get("/v1/reseller/balance")
                .then().statusCode(401)
                .body("detail", equalTo("Not authenticated"));
    }

    @Test
    void shouldRefuseATokenForAnotherService() {
        given().auth().oauth2(InternalTokens.fleet().reseller(7)).get("/v1/reseller/balance")
                .then().statusCode(401)
                .header("WWW-Authenticate", equalTo("Bearer"))
                .body("code", equalTo("unauthorized"));
    }

    @Test
    void shouldRefuseATokenLivingLongerThan60Seconds() {
        given().auth().oauth2(InternalTokens.billing().livingSeconds(300).reseller(7)).get("/v1/reseller/balance")
                .then().statusCode(401)
                .header("WWW-Authenticate", equalTo("Bearer"));
    }

    @Test
    void shouldRefuseAResellerTokenWithoutAUsableResellerId() {
        given().auth().oauth2(InternalTokens.billing().reseller(0)).get("/v1/reseller/balance")
                .then().statusCode(401)
                .body("detail", equalTo("Token does not name a reseller"));
    }

    @Test
    void shouldRefuseAnOperatorToken() {
        given().auth().oauth2(InternalTokens.billing().operator()).get("/v1/reseller/balance")
                .then().statusCode(403)
                .body("detail", equalTo("Forbidden"));
    }
}
