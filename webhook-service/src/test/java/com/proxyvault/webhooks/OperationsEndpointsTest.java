package com.proxyvault.webhooks;

import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

@QuarkusTest
class OperationsEndpointsTest {

    @Test
    void shouldReportReadinessIncludingDatabaseAndKafka() {
        given().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"));
        given().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
    }

    @Test
    void shouldExposeDeliveryMetricsAndTheOpenApiDocument() {
        given().get("/q/metrics").then().statusCode(200).body(containsString("proxyvault_webhook_attempts_total"));
        given().get("/q/openapi").then().statusCode(200)
                .body(containsString("/v1/reseller/webhooks/{webhookId}/deliveries"));
    }
}
