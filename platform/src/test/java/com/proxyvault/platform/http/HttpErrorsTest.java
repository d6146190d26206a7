package com.proxyvault.platform.http;

import com.proxyvault.platform.auth.InternalTokens;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

/** The platform's HTTP rules in its own test app: error body and codes, strict JSON, auth challenges. */
@QuarkusTest
class HttpErrorsTest {

    private static final InternalTokens.Minter TOKENS = InternalTokens.to("platform-test");

    @Test
    void shouldBindAWellFormedBody() {
        echo("{\"reference\":\"order:1\",\"product_id\":7}").statusCode(200)
                .body("reference", equalTo("order:1")).body("product_id", equalTo(7));
    }

    @ParameterizedTest
    @ValueSource(strings = {"[1,2", "{\"reference\":", "{\"reference\":\"a\"} x", "{}{}"})
    void shouldAnswerMalformedJsonBeforeAnyTypeError(String body) {
        echo(body).statusCode(400).body("code", equalTo("malformed_json"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"reference\":5}|reference",
            "{\"product_id\":\"1\"}|product_id",
            "{\"product_id\":1.5}|product_id",
            "{\"reference\":\"a\\u0000\"}|reference",
            "{\"extra\":1}|extra"})
    void shouldAnswer422NamingTheField(String body, String field) {
        echo(body).statusCode(422).body("code", equalTo("validation_failed")).body("detail", containsString(field));
    }

    @Test
    void shouldAnswerUnknownRouteWrongMethodAndMediaTypeWithTheJsonBody() {
        given().get("/no/such/route").then().statusCode(404).body("code", equalTo("not_found"));
        given().auth().oauth2(TOKENS.reseller(7)).get("/test/echo").then().statusCode(405)
                .header("Allow", containsString("POST")).body("code", equalTo("method_not_allowed"));
        // OPTIONS names exactly what the 405 names (Quarkus REST's own OPTIONS listed more)
        String allowed = given().auth().oauth2(TOKENS.reseller(7)).get("/test/echo").then().extract().header("Allow");
        given().options("/test/echo").then().statusCode(204).header("Allow", equalTo(allowed));
        given().options("/no/such/route").then().statusCode(404);
        given().auth().oauth2(TOKENS.reseller(7)).contentType(ContentType.TEXT).body("x").post("/test/echo")
                .then().statusCode(415).body("code", equalTo("unsupported_media_type"));
    }

    @io.quarkus.test.common.http.TestHTTPResource("/test/echo")
    java.net.URI echoUri;

    /**
     * A body without Content-Type is read as the JSON the endpoint consumes (docs/api.md "Strict input"), under
     * the same strict rules: no lenient reader binds it (that would coerce "1" to 1).
     */
    @Test
    void shouldReadABodyWithoutAContentTypeAsStrictJson() throws Exception {
        var request = java.net.http.HttpRequest.newBuilder(echoUri)
                .header("Authorization", "Bearer " + TOKENS.reseller(7))
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"product_id\":\"1\"}")).build();
        var response = java.net.http.HttpClient.newHttpClient().send(request, java.net.http.HttpResponse.BodyHandlers.ofString());
        org.junit.jupiter.api.Assertions.assertEquals(422, response.statusCode(), response.body());
        org.junit.jupiter.api.Assertions.assertTrue(response.body().contains("\"code\":\"validation_failed\""), response.body());
    }

    @Test
    void shouldChallengeEveryRefusedTokenWithTheJsonBody() {
        unauthorized(given());
        unauthorized(given().auth().oauth2("not-a-jwt"));
        unauthorized(given().auth().oauth2(InternalTokens.to("billing-service").reseller(7)));
        unauthorized(given().auth().oauth2(TOKENS.livingSeconds(300).reseller(7)));
    }

    @Test
    void shouldRefuseBadPagingAndIdsOnDeadLetters() {
        given().auth().oauth2(TOKENS.operator()).get("/internal/dead-letters?limit=101").then()
                .statusCode(422).body("detail", containsString("limit"));
        given().auth().oauth2(TOKENS.operator()).get("/internal/dead-letters?pending=yes").then()
                .statusCode(422).body("detail", containsString("pending"));
        given().auth().oauth2(TOKENS.operator()).post("/internal/dead-letters/01/replay").then()
                .statusCode(404).body("code", equalTo("not_found"));
    }

    private static ValidatableResponse echo(String body) {
        return given().auth().oauth2(TOKENS.reseller(7)).contentType(ContentType.JSON).body(body)
                .post("/test/echo").then();
    }

    private static void unauthorized(io.restassured.specification.RequestSpecification request) {
        request.contentType(ContentType.JSON).body("{}").post("/test/echo").then()
                .statusCode(401)
                .header("WWW-Authenticate", equalTo("Bearer"))
                .body("code", equalTo("unauthorized"));
    }
}
