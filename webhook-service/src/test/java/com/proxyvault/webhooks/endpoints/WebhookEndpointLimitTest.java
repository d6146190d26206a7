package com.proxyvault.webhooks.endpoints;

import com.proxyvault.platform.auth.InternalTokens;
import com.proxyvault.platform.http.AtOnce;
import com.proxyvault.webhooks.WebhookFixtures;
import com.proxyvault.webhooks.WebhooksConfig;
import io.agroal.api.AgroalDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.ExtractableResponse;
import io.restassured.response.Response;
import io.restassured.response.ValidatableResponse;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static com.proxyvault.webhooks.WebhookFixtures.newReseller;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * At most {@code proxyvault.webhooks.max-endpoints-per-reseller} live endpoints per reseller (the default, 20, in
 * tests): one more is 409 {@code webhook_limit_reached}, a deleted endpoint frees its place, a retry with the
 * {@code Idempotency-Key} of an endpoint that exists still answers its 201, and creates at the same moment never end
 * above the limit (docs/webhooks.md "Limits": every endpoint may take {@code *}, so without a cap one event fanned out
 * into as many deliveries as a reseller cared to register). Endpoints that only fill a reseller up are written
 * straight into the table ({@link WebhookFixtures#liveWebhook}): the cap counts rows, however they came.
 */
@QuarkusTest
class WebhookEndpointLimitTest {

    private static final String WEBHOOKS = "/v1/reseller/webhooks";
    /** Registrations sent at the same moment, and rounds of them (a fresh reseller each): see {@link AtOnce}. */
    private static final int RACERS = 12;
    private static final int ROUNDS = 3;
    /** Places left before a race: fewer than {@link #RACERS}, so some must be refused. */
    private static final int ROOM = 5;

    @Inject
    AgroalDataSource dataSource;
    @Inject
    WebhooksConfig config;

    @Test
    void shouldRefuseOneEndpointMoreThanTheLimitWith409() throws SQLException {
        long reseller = newReseller();
        int limit = config.maxEndpointsPerReseller();
        for (int i = 0; i < limit; i++) {
            register(reseller, url("hook-" + i)).statusCode(201);
        }

        Map<?, ?> refused = register(reseller, url("one-more")).statusCode(409).contentType(ContentType.JSON)
                .extract().as(Map.class);

        assertEquals(Map.of("code", "webhook_limit_reached",
                "detail", "A reseller may have at most " + limit + " webhook endpoints; delete one"
                        + " (DELETE /v1/reseller/webhooks/{id}) before registering another"), refused);
        assertEquals(limit, live(reseller));
        // with a key too, and nothing is kept under it: the key names no endpoint afterwards
        String key = UUID.randomUUID().toString();
        register(reseller, url("one-more"), key).statusCode(409).body("code", equalTo("webhook_limit_reached"));
        assertEquals(0, WebhookFixtures.count(dataSource,
                "select count(*) from webhooks where reseller_id = ? and idempotency_key = ?", reseller, key));
        assertEquals(limit, live(reseller));
    }

    @Test
    void shouldRegisterAgainOnceAnEndpointIsDeletedButNotWhileOneIsOnlyDisabled() throws SQLException {
        long reseller = newReseller();
        List<Long> endpoints = fill(reseller, config.maxEndpointsPerReseller());
        // a disabled endpoint can be enabled again at any time: it keeps its place
        WebhookFixtures.update(dataSource, "update webhooks set disabled_at = now() at time zone 'utc', disabled_reason = 'HTTP 410' where id = ?",
                endpoints.get(0));
        register(reseller, url("while-one-is-disabled")).statusCode(409).body("code", equalTo("webhook_limit_reached"));

        as(reseller).delete(WEBHOOKS + "/" + endpoints.get(1)).then().statusCode(200);

        register(reseller, url("in-the-freed-place")).statusCode(201);
        register(reseller, url("one-more")).statusCode(409).body("code", equalTo("webhook_limit_reached"));
        assertEquals(config.maxEndpointsPerReseller(), live(reseller));
    }

    /**
     * The key is looked up before the cap is judged: a retry of a registration that went through (the gateway gave up
     * on it and forwards the retry, docs/api.md "What the services keep") answers its endpoint even when that endpoint
     * was the one that filled the reseller up, and a key used for another body is still 422, not the cap's 409.
     */
    @Test
    void shouldAnswerAKeyedRetryWithItsEndpointWhenTheResellerIsAtTheLimit() throws SQLException {
        long reseller = newReseller();
        String key = UUID.randomUUID().toString();
        ExtractableResponse<Response> first = register(reseller, url("keyed"), key).statusCode(201).extract();
        fill(reseller, config.maxEndpointsPerReseller() - 1);

        register(reseller, url("keyed"), key).statusCode(201)
                .body("id", equalTo(first.path("id"))).body("secret", equalTo(first.path("secret")));

        register(reseller, url("another-body"), key).statusCode(422).body("code", equalTo("idempotency_key_reused"));
        register(reseller, url("keyed"), UUID.randomUUID().toString()).statusCode(409)
                .body("code", equalTo("webhook_limit_reached"));
        assertEquals(config.maxEndpointsPerReseller(), live(reseller));
    }

    /**
     * {@value #RACERS} registrations at the same moment with {@value #ROOM} places left: exactly {@value #ROOM} are
     * registered and the rest are 409 {@code webhook_limit_reached}, never a 500 and never one endpoint too many (a
     * count then insert without the reseller's lock let every racer see room).
     */
    @Test
    void shouldKeepExactlyTheLimitWhenRegistrationsArriveAtTheSameMoment() throws SQLException {
        int limit = config.maxEndpointsPerReseller();
        for (int round = 0; round < ROUNDS; round++) {
            long reseller = newReseller();
            fill(reseller, limit - ROOM);

            List<ExtractableResponse<Response>> answers = AtOnce.call(RACERS,
                    i -> register(reseller, url("racer-" + i)).extract());

            List<Integer> statuses = new ArrayList<>();
            for (ExtractableResponse<Response> answer : answers) {
                statuses.add(answer.statusCode());
                if (answer.statusCode() == 409) {
                    assertEquals("webhook_limit_reached", answer.jsonPath().getString("code"), answer.asString());
                }
            }
            assertEquals(ROOM, statuses.stream().filter(status -> status == 201).count(), "201s among " + statuses);
            assertEquals(RACERS - ROOM, statuses.stream().filter(status -> status == 409).count(), "409s among " + statuses);
            assertEquals(limit, live(reseller), "live endpoints after the race");
        }
    }

    /**
     * Requests with one key at the same moment and one place left (a gateway whose hold on the key ran out): the first
     * registers, and every other finds that endpoint under the reseller's lock and answers its 201, as a retry would,
     * rather than the 409 of the place it just took.
     */
    @Test
    void shouldAnswerRequestsWithOneKeyAtTheSameMomentWithOneWebhookWhenOnePlaceIsLeft() throws SQLException {
        int limit = config.maxEndpointsPerReseller();
        for (int round = 0; round < ROUNDS; round++) {
            long reseller = newReseller();
            fill(reseller, limit - 1);
            String key = UUID.randomUUID().toString();

            List<ExtractableResponse<Response>> answers = AtOnce.call(RACERS,
                    i -> register(reseller, url("the-last-place"), key).extract());

            long kept = WebhookFixtures.count(dataSource,
                    "select id from webhooks where reseller_id = ? and idempotency_key = ?", reseller, key);
            for (ExtractableResponse<Response> answer : answers) {
                assertEquals(201, answer.statusCode(), answer.asString());
                assertEquals(kept, answer.jsonPath().getLong("id"), answer.asString());
            }
            assertEquals(limit, live(reseller));
        }
    }

    /** {@code count} live endpoints of {@code reseller}, written straight into the table; their ids. */
    private List<Long> fill(long reseller, int count) throws SQLException {
        List<Long> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            ids.add(WebhookFixtures.liveWebhook(dataSource, reseller, url("filler-" + i)));
        }
        return ids;
    }

    private long live(long reseller) throws SQLException {
        return WebhookFixtures.count(dataSource,
                "select count(*) from webhooks where reseller_id = ? and deleted_at is null", reseller);
    }

    private static ValidatableResponse register(long reseller, String url) {
        return as(reseller).body(Map.of("url", url, "events", "*")).post(WEBHOOKS).then();
    }

    private static ValidatableResponse register(long reseller, String url, String idempotencyKey) {
        return as(reseller).header("Idempotency-Key", idempotencyKey).body(Map.of("url", url, "events", "*"))
                .post(WEBHOOKS).then();
    }

    /** A public address (no DNS lookup at registration); nothing is sent to it here. */
    private static String url(String path) {
        return "https://93.184.216.34/hooks/" + path;
    }

    private static io.restassured.specification.RequestSpecification as(long reseller) {
        return given().auth().oauth2(InternalTokens.webhooks().reseller(reseller)).contentType(ContentType.JSON);
    }
}
