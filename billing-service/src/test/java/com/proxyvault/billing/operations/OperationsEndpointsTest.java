package com.proxyvault.billing.operations;

import com.proxyvault.billing.support.BillingApi;
import com.proxyvault.billing.support.Resellers;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

/** Health, metrics and OpenAPI, as Kubernetes and Prometheus use them. */
@QuarkusTest
class OperationsEndpointsTest {

    @Test
    void shouldBeLiveAndReady() {
        given().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
        given().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"));
    }

    @Test
    void shouldCountLedgerPostingsInPrometheusMetrics() {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "10.00", "dep-1").statusCode(201);
        BillingApi.charge(reseller, "order:1", "20.00").statusCode(402);

        given().get("/q/metrics").then().statusCode(200)
                .body(containsString("billing_ledger_postings_total{kind=\"topup\",outcome=\"posted\"}"))
                .body(containsString("billing_ledger_postings_total{kind=\"charge\",outcome=\"insufficient_balance\"}"))
                .body(containsString("proxyvault_ledger_drift_accounts"));
    }

    @Test
    void shouldDescribeTheApiInOpenApi() {
        given().get("/q/openapi").then().statusCode(200)
                .body(containsString("/v1/reseller/balance"))
                .body(containsString("/internal/charges"))
                .body(containsString("/internal/resellers/{resellerId}/topups"));
    }
}
