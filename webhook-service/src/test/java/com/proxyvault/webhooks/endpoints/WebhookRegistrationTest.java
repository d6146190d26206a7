package com.proxyvault.webhooks.endpoints;

import com.proxyvault.platform.auth.InternalTokens;
import com.proxyvault.platform.http.AtOnce;
import io.agroal.api.AgroalDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.ExtractableResponse;
import io.restassured.response.Response;
import io.restassured.response.ValidatableResponse;
import io.restassured.specification.RequestSpecification;
import com.proxyvault.webhooks.TestClock;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;

@QuarkusTest
class WebhookRegistrationTest {

    private static final String WEBHOOKS = "/v1/reseller/webhooks";
    /** Requests with one key sent at the same moment, and rounds of them (a fresh key each): see {@link AtOnce}. */
    private static final int RACERS = 12;
    private static final int ROUNDS = 5;

    @Inject
    AgroalDataSource dataSource;
    @Inject
    TestClock clock;

    @AfterEach
    void resetClock() {
        clock.reset();
    }

    @Test
    void shouldRegisterAWebhookAndShowItsSecretOnlyOnce() {
        long reseller = newReseller();
        int id = as(reseller).body(Map.of("url", "https://93.184.216.34/hooks/proxyvault", "events", "*"))
                .post(WEBHOOKS)
                .then().statusCode(201)
                .body("id", notNullValue())
                .body("url", equalTo("https://93.184.216.34/hooks/proxyvault"))
                .body("secret", matchesPattern("whsec_[A-Za-z0-9+/]{43}="))
                .body("events", equalTo("*"))
                .body("created_at", matchesPattern("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}"))
                .extract().path("id");

        as(reseller).get(WEBHOOKS)
                .then().statusCode(200)
                .body("webhooks.id", hasItem(id))
                .body("webhooks[0]", not(hasKey("secret")))
                .body("webhooks[0].events", equalTo("*"))
                .body("webhooks[0].created_at", notNullValue());
    }

    @Test
    void shouldAnswerTheWebhookAKeyRegisteredToEveryRequestWithThatKey() {
        long reseller = newReseller();
        String key = java.util.UUID.randomUUID().toString();
        Map<String, String> body = Map.of("url", "https://93.184.216.34/hooks/idem", "events", "order.paid");
        var first = as(reseller).header("Idempotency-Key", key).body(body).post(WEBHOOKS).then().statusCode(201).extract();
        // a retry the gateway forwards again after giving up on the first (new-user review, stop 32, M1): the same
        // endpoint and secret, not a second endpoint with a secret nobody saw
        as(reseller).header("Idempotency-Key", key).body(body).post(WEBHOOKS).then().statusCode(201)
                .body("id", equalTo(first.path("id"))).body("secret", equalTo(first.path("secret")));
        as(reseller).get(WEBHOOKS).then().body("webhooks.size()", equalTo(1));
        as(reseller).header("Idempotency-Key", key).body(Map.of("url", "https://93.184.216.34/hooks/other", "events", "order.paid"))
                .post(WEBHOOKS).then().statusCode(422).body("code", equalTo("idempotency_key_reused"));
        // deleted since: a retry cannot bring it back under the old key
        as(reseller).delete(WEBHOOKS + "/" + first.path("id")).then().statusCode(200);
        as(reseller).header("Idempotency-Key", key).body(body).post(WEBHOOKS).then().statusCode(409)
                .body("detail", containsString("deleted"));
        as(reseller).header("Idempotency-Key", "k".repeat(256)).body(body).post(WEBHOOKS).then().statusCode(422);
    }

    /**
     * The key lives as long as the gateway's (24 h, ForwardedIdempotencyKey.RETENTION). 23 h on, a request with it
     * still answers the endpoint. 24 h on, the gateway has forgotten the key and forwards the request as new: a new
     * endpoint with a new secret, not the old one with its current secret, which a rotation showed once (new-user
     * review); the new endpoint holds the key from then on.
     */
    @Test
    void shouldRegisterANewWebhookWithANewSecretOnceTheKeyIs24HoursOld() {
        long reseller = newReseller();
        String key = UUID.randomUUID().toString();
        Map<String, String> body = Map.of("url", "https://93.184.216.34/hooks/idem-expiry", "events", "order.paid");
        var first = as(reseller).header("Idempotency-Key", key).body(body).post(WEBHOOKS).then().statusCode(201).extract();
        String rotated = as(reseller).post(WEBHOOKS + "/" + first.path("id") + "/rotate-secret").then().statusCode(200)
                .extract().path("secret");
        clock.advance(Duration.ofHours(23));
        as(reseller).header("Idempotency-Key", key).body(body).post(WEBHOOKS).then().statusCode(201)
                .body("id", equalTo(first.path("id")));

        clock.advance(Duration.ofHours(1));
        var second = as(reseller).header("Idempotency-Key", key).body(body).post(WEBHOOKS).then().statusCode(201)
                .body("id", not(equalTo(first.path("id"))))
                .body("secret", allOf(matchesPattern("whsec_[A-Za-z0-9+/]{43}="), not(equalTo(first.path("secret"))), not(equalTo(rotated))))
                .extract();
        as(reseller).get(WEBHOOKS).then().body("webhooks.size()", equalTo(2));
        as(reseller).header("Idempotency-Key", key).body(body).post(WEBHOOKS).then().statusCode(201)
                .body("id", equalTo(second.path("id"))).body("secret", equalTo(second.path("secret")));
    }

    /**
     * Requests with one key at the same moment (a gateway whose hold on the key expired, or two gateway replicas during
     * a database hiccup, lets them all through): they meet at V5's unique index, one registers, and every other answers
     * as a retry does, with the winner's endpoint and secret: never a 500, never a second endpoint. Several rounds with
     * fresh keys make it likely that some request loses at the index rather than finding the winner by its first read.
     */
    @Test
    void shouldAnswerRequestsWithOneKeyAtTheSameMomentWithOneWebhook() throws SQLException {
        long reseller = newReseller();
        Map<String, String> body = Map.of("url", "https://93.184.216.34/hooks/race", "events", "*");
        for (int round = 0; round < ROUNDS; round++) {
            String key = UUID.randomUUID().toString();
            List<ExtractableResponse<Response>> answers = AtOnce.call(RACERS,
                    i -> as(reseller).header("Idempotency-Key", key).body(body).post(WEBHOOKS).then().extract());
            Kept kept = keptUnder(reseller, key);
            for (ExtractableResponse<Response> answer : answers) {
                assertEquals(201, answer.statusCode(), answer.asString());
                assertEquals(kept.id(), answer.jsonPath().getLong("id"), answer.asString());
                assertEquals(kept.secret(), answer.jsonPath().getString("secret"), "the secret of the one endpoint");
            }
        }
    }

    /**
     * As {@link #shouldAnswerRequestsWithOneKeyAtTheSameMomentWithOneWebhook}, with half the requests asking for another
     * url: whichever registers first, the requests for its url get its endpoint and the others 422
     * {@code idempotency_key_reused}, as they would one after another.
     */
    @Test
    void shouldAnswerRequestsWithOneKeyAndTwoBodiesAtTheSameMomentAsOneAfterAnother() throws SQLException {
        long reseller = newReseller();
        List<String> urls = List.of("https://93.184.216.34/hooks/race-a", "https://93.184.216.34/hooks/race-b");
        for (int round = 0; round < ROUNDS; round++) {
            String key = UUID.randomUUID().toString();
            List<ExtractableResponse<Response>> answers = AtOnce.call(RACERS, i -> as(reseller).header("Idempotency-Key", key)
                    .body(Map.of("url", urls.get(i % 2), "events", "*")).post(WEBHOOKS).then().extract());
            Kept kept = keptUnder(reseller, key);
            for (int i = 0; i < RACERS; i++) {
                ExtractableResponse<Response> answer = answers.get(i);
                if (urls.get(i % 2).equals(kept.url())) {
                    assertEquals(201, answer.statusCode(), answer.asString());
                    assertEquals(kept.id(), answer.jsonPath().getLong("id"), answer.asString());
                } else {
                    assertEquals(422, answer.statusCode(), answer.asString());
                    assertEquals("idempotency_key_reused", answer.jsonPath().getString("code"));
                }
            }
        }
    }

    /** The webhook the reseller registered under {@code key}, failing unless there is exactly one. */
    private Kept keptUnder(long reseller, String key) throws SQLException {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement select = connection.prepareStatement(
                     "select id, url, secret from webhooks where reseller_id = ? and idempotency_key = ?")) {
            select.setLong(1, reseller);
            select.setString(2, key);
            List<Kept> kept = new ArrayList<>();
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    kept.add(new Kept(rows.getLong("id"), rows.getString("url"), rows.getString("secret")));
                }
            }
            assertEquals(1, kept.size(), "one webhook per key: " + kept);
            return kept.get(0);
        }
    }

    /** A row of webhooks: its id, url and current secret. */
    private record Kept(long id, String url, String secret) {
    }

    @Test
    void shouldSayTheWebhookIsNotFoundWhateverTheDeliveryId() {
        as(newReseller()).post(WEBHOOKS + "/9223372036854775807/deliveries/abc/resend")
                .then().statusCode(404).body("detail", equalTo("Webhook not found"));
    }

    @Test
    void shouldNormalizeTheEventList() {
        as(newReseller()).body(Map.of("url", "https://93.184.216.34/hook", "events", " order.paid ,  proxy.expired "))
                .post(WEBHOOKS)
                .then().statusCode(201)
                .body("events", equalTo("order.paid,proxy.expired"));
    }

    @Test
    void shouldRefuseAnUnknownEvent() {
        as(newReseller()).body(Map.of("url", "https://93.184.216.34/hook", "events", "order.paid,order.refunded"))
                .post(WEBHOOKS)
                .then().statusCode(422)
                .body("detail", containsString("order.refunded"));
    }

    @Test
    void shouldRequireHttpsForHostsOutsideTheAllowlist() {
        as(newReseller()).body(Map.of("url", "http://93.184.216.34/hook", "events", "*"))
                .post(WEBHOOKS)
                .then().statusCode(422)
                .body("detail", equalTo("url must use https"));
    }

    @Test
    void shouldAcceptPlainHttpForAnAllowlistedHost() {
        as(newReseller()).body(Map.of("url", "http://127.0.0.1:9/hook", "events", "*"))
                .post(WEBHOOKS)
                .then().statusCode(201);
        as(newReseller()).body(Map.of("url", "http://localhost:9/hook", "events", "*"))
                .post(WEBHOOKS)
                .then().statusCode(201);
    }

    @Test
    void shouldRefuseHostsThatResolveToNonPublicAddresses() {
        long reseller = newReseller();
        for (String url : new String[] {"https://10.0.0.5/hook", "https://169.254.169.254/latest/meta-data",
                "https://127.0.0.2/hook", "https://[::1]/hook", "https://[fd00:ec2::254]/", "https://192.168.0.10:8443/x",
                "https://[2002:7f00:1::]/", "https://[2002:a9fe:a9fe::1]/latest", "https://[2001::1]/hook",
                "https://[2001:db8::1]/hook"}) {
            as(reseller).body(Map.of("url", url, "events", "*"))
                    .post(WEBHOOKS)
                    .then().statusCode(422)
                    .body("detail", containsString("non-public address"));
        }
    }

    @Test
    void shouldRefuseAPortOutsideTheValidRange() {
        long reseller = newReseller();
        for (String url : new String[] {"https://1.1.1.1:99999/x", "https://1.1.1.1:65536/x", "https://1.1.1.1:0/x"}) {
            as(reseller).body(Map.of("url", url, "events", "*"))
                    .post(WEBHOOKS)
                    .then().statusCode(422)
                    .body("detail", equalTo("url port must be between 1 and 65535"));
        }
        as(reseller).body(Map.of("url", "https://1.1.1.1:65535/x", "events", "*"))
                .post(WEBHOOKS)
                .then().statusCode(201);
    }

    @Test
    void shouldRefuseUrlsThatAreNotAbsoluteHttpUrls() {
        long reseller = newReseller();
        for (String url : new String[] {"example", "ftp://93.184.216.34/hook", "https:///hook", "/relative/hook",
                "https://user:pass@93.184.216.34/hook", "https://exa mple.com/"}) {
            as(reseller).body(Map.of("url", url, "events", "*"))
                    .post(WEBHOOKS)
                    .then().statusCode(422)
                    .body("detail", notNullValue());
        }
    }

    @Test
    void shouldRefuseANonAsciiPathInsteadOfStoringAUrlNoReceiverAccepts() {
        // the new-user review's URL: it used to be stored raw, and every delivery then got a 400 from Node
        long reseller = newReseller();
        for (String url : new String[] {"http://127.0.0.1:18090/ok/ü?x=1#frag", "http://127.0.0.1:18090/ok/ü"}) {
            refused(reseller, url)
                    .body("detail", startsWith("url must contain only ASCII characters, found U+00FC at index 26"))
                    .body("detail", containsString("%C3%BC"));
        }
        as(reseller).get(WEBHOOKS).then().statusCode(200).body("webhooks", empty());
    }

    @Test
    void shouldRefuseNonAsciiInTheQueryAndTheHost() {
        long reseller = newReseller();
        // U+00A0 (no-break space) and U+0085 (a C1 control) are not ASCII either
        for (String url : new String[] {"https://93.184.216.34/hook?name=ü", "https://bücher.example/hook",
                "https://93.184.216.34/my\u00a0hook", "https://93.184.216.34/\u0085hook"}) {
            refused(reseller, url).body("detail", containsString("xn--"));
        }
    }

    @Test
    void shouldRefuseAFragmentBecauseHttpNeverSendsIt() {
        long reseller = newReseller();
        for (String url : new String[] {"http://127.0.0.1:18090/ok?x=1#frag", "https://93.184.216.34/hook#",
                "https://93.184.216.34/#/hook"}) {
            refused(reseller, url).body("detail", startsWith("url must not contain a fragment"));
        }
    }

    @Test
    void shouldRefuseSpacesBadEscapesAndCredentialsAnywhereInTheUrl() {
        long reseller = newReseller();
        for (String url : new String[] {"https://93.184.216.34/my hook", "https://93.184.216.34/hook?x=a b",
                "https://93.184.216.34/hook%"}) {
            refused(reseller, url).body("detail", startsWith("url is not a valid URL"));
        }
        for (String url : new String[] {"http://user:pass@127.0.0.1:18090/ok", "https://user@93.184.216.34/hook"}) {
            refused(reseller, url).body("detail", equalTo("url must not contain credentials"));
        }
    }

    @Test
    void shouldRegisterAPercentEncodedUrlExactlyAsGiven() {
        String url = "http://127.0.0.1:18090/ok/%C3%BC?x=1&name=%C3%BC";
        as(newReseller()).body(Map.of("url", url, "events", "*,order.paid"))
                .post(WEBHOOKS)
                .then().statusCode(201)
                .body("url", equalTo(url));
    }

    /** Registers {@code url} for every event and expects 422 {@code validation_failed}; the caller checks the detail. */
    private ValidatableResponse refused(long reseller, String url) {
        return as(reseller).body(Map.of("url", url, "events", "*"))
                .post(WEBHOOKS)
                .then().statusCode(422)
                .body("code", equalTo("validation_failed"));
    }

    @Test
    void shouldRefuseMissingOrMistypedFieldsWith422() {
        long reseller = newReseller();
        as(reseller).body(Map.of("events", "*")).post(WEBHOOKS)
                .then().statusCode(422).body("detail", startsWith("url is required"));
        as(reseller).body(Map.of("url", "https://93.184.216.34/hook")).post(WEBHOOKS)
                .then().statusCode(422).body("detail", startsWith("events is required"));
        as(reseller).body("{\"url\": \"https://93.184.216.34/hook\", \"events\": [\"order.paid\"]}").post(WEBHOOKS)
                .then().statusCode(422).body("code", equalTo("validation_failed")).body("detail", startsWith("events"));
        as(reseller).body("[]").post(WEBHOOKS)
                .then().statusCode(422).body("detail", notNullValue());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "[1,2|400|malformed_json|Malformed",
            "{\"url\": \"https://93.184.216.34/hook\", \"events\": \"*\"} x|400|malformed_json|Malformed",
            "{\"url\": \"https://93.184.216.34/hook\", \"events\": 5}|422|validation_failed|events",
            "{\"url\": \"https://93.184.216.34/h\\u0000ook\", \"events\": \"*\"}|422|validation_failed|url",
            "{\"url\": \"https://93.184.216.34/hook\", \"events\": \"*\", \"secret\": \"mine\"}|422|validation_failed|secret"})
    void shouldJudgeTheRegistrationBodyStrictly(String body, int status, String code, String detail) {
        as(newReseller()).body(body).post(WEBHOOKS)
                .then().statusCode(status).body("code", equalTo(code)).body("detail", containsString(detail));
    }

    @ParameterizedTest
    @ValueSource(strings = {"01", "+1", "0", "99999999999999999999"})
    void shouldAnswer404ForAMalformedWebhookId(String id) {
        long reseller = newReseller();
        as(reseller).delete(WEBHOOKS + "/" + id).then().statusCode(404).body("code", equalTo("not_found"));
        as(reseller).get(WEBHOOKS + "/" + id + "/deliveries").then().statusCode(404).body("code", equalTo("not_found"));
    }

    @Test
    void shouldChallengeATokenForAnotherService() {
        given().auth().oauth2(InternalTokens.orders().reseller(newReseller())).get(WEBHOOKS)
                .then().statusCode(401).header("WWW-Authenticate", equalTo("Bearer")).body("code", equalTo("unauthorized"));
    }

    @Test
    void shouldRefuseMalformedJsonWith400() {
        as(newReseller()).body("{\"url\": ").post(WEBHOOKS)
                .then().statusCode(400)
                .body("detail", notNullValue());
    }

    @Test
    void shouldDeleteAWebhookOnce() {
        long reseller = newReseller();
        int id = register(reseller);
        as(reseller).delete(WEBHOOKS + "/" + id)
                .then().statusCode(200)
                .body("detail", equalTo("Webhook deleted"));
        as(reseller).get(WEBHOOKS).then().statusCode(200).body("webhooks.id", not(hasItem(id)));
        as(reseller).delete(WEBHOOKS + "/" + id)
                .then().statusCode(404).body("detail", equalTo("Webhook not found"));
        as(reseller).get(WEBHOOKS + "/" + id + "/deliveries").then().statusCode(404);
    }

    @Test
    void shouldHideAnotherResellersWebhook() {
        long owner = newReseller();
        long other = newReseller();
        int id = register(owner);

        as(other).get(WEBHOOKS).then().statusCode(200).body("webhooks.id", not(hasItem(id)));
        as(other).get(WEBHOOKS + "/" + id + "/deliveries")
                .then().statusCode(404).body("detail", equalTo("Webhook not found"));
        as(other).delete(WEBHOOKS + "/" + id)
                .then().statusCode(404).body("detail", equalTo("Webhook not found"));
        // Still there for its owner.
        as(owner).get(WEBHOOKS).then().statusCode(200).body("webhooks.id", hasItem(id));
    }

    @Test
    void shouldListNoDeliveriesForANewWebhook() {
        long reseller = newReseller();
        int id = register(reseller);
        as(reseller).get(WEBHOOKS + "/" + id + "/deliveries")
                .then().statusCode(200)
                .body("deliveries.size()", equalTo(0))
                .body("total", equalTo(0));
    }

    @Test
    void shouldValidateDeliveryPaging() {
        long reseller = newReseller();
        int id = register(reseller);
        String deliveries = WEBHOOKS + "/" + id + "/deliveries";
        as(reseller).queryParam("limit", 0).get(deliveries).then().statusCode(422).body("detail", notNullValue());
        as(reseller).queryParam("limit", 101).get(deliveries).then().statusCode(422).body("detail", startsWith("limit"));
        as(reseller).queryParam("limit", "+5").get(deliveries).then().statusCode(422);
        as(reseller).queryParam("offset", "1e1").get(deliveries).then().statusCode(422).body("detail", startsWith("offset"));
        as(reseller).queryParam("offset", -1).get(deliveries).then().statusCode(422);
        as(reseller).queryParam("limit", "ten").get(deliveries).then().statusCode(422);
        as(reseller).queryParam("limit", 100).queryParam("offset", 5).get(deliveries).then().statusCode(200);
    }

    @Test
    void shouldJudgeTheNewEndpointCallsLikeTheRest() {
        long reseller = newReseller();
        int id = register(reseller);
        String replay = WEBHOOKS + "/" + id + "/replay";
        as(reseller).body("{\"since\": \"yesterday\"}").post(replay).then().statusCode(422).body("detail", startsWith("since"));
        as(reseller).body("{\"since\": \"2999-01-01T00:00:00\"}").post(replay).then().statusCode(422)
                .body("detail", equalTo("since must not be in the future"));
        as(reseller).body("{\"since\": \"2000-01-01T00:00:00\"}").post(replay).then().statusCode(422)
                .body("detail", containsString("30 days"));
        as(reseller).body("{}").post(replay).then().statusCode(422).body("detail", startsWith("since"));
        as(reseller).body("{\"since\": 5}").post(replay).then().statusCode(422);
        as(reseller).body("{\"since\": \"2026-01-01T00:00:00\", \"until\": 1}").post(replay).then().statusCode(422);
        as(reseller).body("{\"since\":").post(replay).then().statusCode(400);
        String recent = "{\"since\": \"" + java.time.LocalDateTime.now(java.time.ZoneOffset.UTC).minusHours(1)
                .format(java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss")) + "\"}";
        for (String call : new String[] {"/test", "/rotate-secret", "/enable", "/replay", "/deliveries/1/resend"}) {
            String body = call.equals("/replay") ? recent : ""; // the others take no fields
            as(reseller).body(body).post(WEBHOOKS + "/999999999" + call)
                    .then().statusCode(404).body("code", equalTo("not_found"));
            as(newReseller()).body(body).post(WEBHOOKS + "/" + id + call)
                    .then().statusCode(404);
        }
        as(reseller).post(WEBHOOKS + "/" + id + "/deliveries/abc/resend").then().statusCode(404);
        as(reseller).post(WEBHOOKS + "/" + id + "/enable").then().statusCode(200).body("enabled", equalTo(true))
                .body("disabled_reason", equalTo(null));
    }

    /**
     * The actions without fields take no body, or {@code {}}: anything else is refused before they run (third
     * new-user review: {@code rotate-secret {"x": 1}} rotated the secret, {@code test [1,2} queued a test).
     */
    @Test
    void shouldRunAnActionWithoutFieldsOnlyOnNoBodyOrAnEmptyObject() {
        long reseller = newReseller();
        int id = register(reseller);
        String base = WEBHOOKS + "/" + id;
        for (String call : new String[] {"/test", "/rotate-secret", "/enable", "/deliveries/1/resend"}) {
            as(reseller).body("{\"x\": 1}").post(base + call).then().statusCode(422)
                    .body("code", equalTo("validation_failed")).body("detail", containsString("takes no fields"));
            as(reseller).body("[1,2").post(base + call).then().statusCode(400).body("code", equalTo("malformed_json"));
            as(reseller).body("\"zzz\"").post(base + call).then().statusCode(422);
        }
        // {} (what some client libraries send) and no body at all are served
        as(reseller).body("{}").post(base + "/rotate-secret").then().statusCode(200).body("secret", startsWith("whsec_"));
        as(reseller).post(base + "/test").then().statusCode(202);
    }

    @Test
    void shouldAcceptEveryEventOfTheRegistryAndNothingElse() {
        as(newReseller()).body(Map.of("url", "https://93.184.216.34/hook",
                        "events", "order.paid,order.failed,order.cancelled,proxy.provisioned,proxy.expired,proxy.expiring,"
                                + "proxy.ip_rotated,proxy.rotation_failed,proxy.offline,webhook.test,webhook.disabled"))
                .post(WEBHOOKS).then().statusCode(201);
        as(newReseller()).body(Map.of("url", "https://93.184.216.34/hook", "events", "proxy.provisioning"))
                .post(WEBHOOKS).then().statusCode(422).body("detail", containsString("proxy.provisioning"));
    }

    @Test
    void shouldRefuseRequestsWithoutTheInternalToken() {
        given().get(WEBHOOKS).then().statusCode(401).header("WWW-Authenticate", equalTo("Bearer")).body("code", equalTo("unauthorized"));
        given().auth().oauth2("not-a-token").get(WEBHOOKS).then().statusCode(401).body("detail", notNullValue());
    }

    private static int register(long reseller) {
        return as(reseller).body(Map.of("url", "https://93.184.216.34/hook", "events", "*"))
                .post(WEBHOOKS)
                .then().statusCode(201)
                .extract().path("id");
    }

    private static RequestSpecification as(long reseller) {
        return given().auth().oauth2(InternalTokens.webhooks().reseller(reseller)).contentType(ContentType.JSON);
    }

    private static long newReseller() {
        return ThreadLocalRandom.current().nextLong(1_000_000, 1_000_000_000);
    }
}
