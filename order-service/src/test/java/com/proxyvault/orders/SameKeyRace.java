package com.proxyvault.orders;

import com.proxyvault.platform.auth.InternalTokens;
import com.proxyvault.platform.http.AtOnce;
import io.restassured.http.ContentType;
import io.restassured.response.ExtractableResponse;
import io.restassured.response.Response;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.IntFunction;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Order creations with one {@code Idempotency-Key} at the same moment, as a gateway whose hold on the key expired, or two
 * gateway replicas during a database hiccup, let them through (docs/api.md "What the services keep"): {@value #RACERS}
 * requests released together ({@link AtOnce}), in {@value #ROUNDS} rounds with a fresh key each, so that some request
 * likely loses at V9's unique index rather than finding the winner's order by an earlier read. What every interleaving
 * must give is asserted, never which one happened: one order under the key, the 201 of that order to every request that
 * asked for what it holds, and 422 {@code idempotency_key_reused} to every other; never a 5xx.
 */
final class SameKeyRace {

    static final int RACERS = 12;
    static final int ROUNDS = 5;
    private static final String ORDERS = "/v1/reseller/orders";

    private SameKeyRace() {
    }

    /** An order kept under a key: its id and the pricing it was created for (V9's row of orders). */
    record Kept(long id, long pricingId, String kind) {
    }

    /**
     * Runs the rounds for {@code reseller}: request {@code i} posts {@code bodies.apply(i)} (a create-order body:
     * {@code product_id} or {@code proxy_id}, and {@code pricing_id}), and whichever order the key kept decides the answers:
     * 201 with its id to the bodies of its pricing, 422 {@code idempotency_key_reused} to the others.
     */
    static void run(Pool pool, long reseller, String kind, IntFunction<Map<String, Object>> bodies) {
        for (int round = 0; round < ROUNDS; round++) {
            String key = UUID.randomUUID().toString();
            List<ExtractableResponse<Response>> answers = AtOnce.call(RACERS, i -> given()
                    .header("Authorization", "Bearer " + InternalTokens.orders().reseller(reseller))
                    .header("Idempotency-Key", key).contentType(ContentType.JSON)
                    .body(bodies.apply(i)).post(ORDERS).then().extract());
            Kept kept = keptUnder(pool, reseller, key);
            assertEquals(kind, kept.kind());
            for (int i = 0; i < RACERS; i++) {
                ExtractableResponse<Response> answer = answers.get(i);
                if (((Number) bodies.apply(i).get("pricing_id")).longValue() == kept.pricingId()) {
                    assertEquals(201, answer.statusCode(), answer.asString());
                    assertEquals(kept.id(), answer.jsonPath().getLong("id"), answer.asString());
                } else {
                    assertEquals(422, answer.statusCode(), answer.asString());
                    assertEquals("idempotency_key_reused", answer.jsonPath().getString("code"));
                }
            }
        }
    }

    /** The reseller's order created under {@code key}, failing unless there is exactly one. */
    static Kept keptUnder(Pool pool, long reseller, String key) {
        List<Kept> kept = new ArrayList<>();
        for (Row row : pool.preparedQuery("select id, pricing_id, kind from orders where reseller_id = $1 and idempotency_key = $2")
                .execute(Tuple.of(reseller, key)).await().indefinitely()) {
            kept.add(new Kept(row.getLong("id"), row.getLong("pricing_id"), row.getString("kind")));
        }
        assertEquals(1, kept.size(), "one order per key: " + kept);
        return kept.get(0);
    }
}
