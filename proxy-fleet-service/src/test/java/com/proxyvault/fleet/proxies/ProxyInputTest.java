package com.proxyvault.fleet.proxies;

import com.proxyvault.platform.auth.InternalTokens;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

/** What the proxy endpoints refuse before any proxy is looked up or any agent is asked. */
@QuarkusTest
class ProxyInputTest {

    private static final String TOKEN = "Bearer " + InternalTokens.fleet().reseller(424242);

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "reset|{\"mode\": \"fast\"|400|malformed_json|Malformed",
            "reset|{\"mode\": \"fast\"} x|400|malformed_json|Malformed",
            "reset|[1,2|400|malformed_json|Malformed",
            "reset|{\"mode\": \"FAST\"}|422|validation_failed|mode",
            "reset|{\"mode\": \" fast\"}|422|validation_failed|mode",
            "reset|{\"mode\": 1}|422|validation_failed|mode",
            "reset|{\"mode\": \"fast\", \"force\": true}|422|validation_failed|force",
            "fingerprint|{\"fingerprint\": \"Linux\"}|422|validation_failed|fingerprint",
            "fingerprint|{\"fingerprint\": null}|422|validation_failed|fingerprint",
            "connect|{\"location_id\": \"LAX\\u0000\"}|422|validation_failed|location_id",
            "connect|{\"location_id\": \"LAXLAXLAXLAXLAXLAXLAXLAXLAXLAXLAX\"}|422|validation_failed|location_id",
            "connect|{\"location_id\": [\"LAX\"]}|422|validation_failed|location_id"})
    void shouldRefuseBadBodiesNamingTheField(String action, String body, int status, String code, String detail) {
        given().header("Authorization", TOKEN).contentType(ContentType.JSON).body(body)
                .post("/v1/reseller/proxies/1/" + action)
                .then().statusCode(status).body("code", equalTo(code)).body("detail", containsString(detail));
    }

    @ParameterizedTest
    @ValueSource(strings = {"01", "+1", "0", "1e0", "99999999999999999999"})
    void shouldAnswer404ForAMalformedProxyId(String id) {
        given().header("Authorization", TOKEN).get("/v1/reseller/proxies/" + id)
                .then().statusCode(404).body("code", equalTo("not_found"));
        given().header("Authorization", TOKEN).contentType(ContentType.JSON).body("{\"mode\": \"fast\"}")
                .post("/v1/reseller/proxies/" + id + "/reset")
                .then().statusCode(404).body("code", equalTo("not_found"));
    }

    @Test
    void shouldChallengeMissingAndForeignTokens() {
        given().get("/v1/reseller/proxies")
                .then().statusCode(401).header("WWW-Authenticate", equalTo("Bearer")).body("code", equalTo("unauthorized"));
        given().header("Authorization", "Bearer " + InternalTokens.webhooks().reseller(1)).get("/v1/reseller/proxies")
                .then().statusCode(401).header("WWW-Authenticate", equalTo("Bearer")).body("code", equalTo("unauthorized"));
    }

    @Test
    void shouldAnswerWrongMethodAndMediaTypeWithTheJsonBody() {
        given().header("Authorization", TOKEN).delete("/v1/reseller/proxies/1/reset")
                .then().statusCode(405).header("Allow", containsString("POST")).body("code", equalTo("method_not_allowed"));
        given().header("Authorization", TOKEN).contentType(ContentType.TEXT).body("fast").post("/v1/reseller/proxies/1/reset")
                .then().statusCode(415).body("code", equalTo("unsupported_media_type"));
    }
}
