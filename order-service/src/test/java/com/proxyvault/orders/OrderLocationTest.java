package com.proxyvault.orders;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.proxyvault.contracts.events.EventEnvelope;
import com.proxyvault.contracts.events.EventJson;
import com.proxyvault.contracts.events.EventSchemas;
import com.proxyvault.contracts.events.EventTypes;
import com.proxyvault.contracts.events.LocationUpdated;
import com.proxyvault.platform.auth.InternalTokens;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A purchase may name its location (issue 8, item 4); order.paid carries it to the fleet, which places it. A
 * location the fleet does not serve is 422 at creation (F12): order-service knows the fleet's locations from its
 * location.updated events ({@code KnownLocations}), never by asking the fleet.
 */
@QuarkusTest
@WithTestResource(BillingStub.class)
class OrderLocationTest {

    private static final AtomicLong RESELLERS = new AtomicLong(System.nanoTime() % 1_000_000 * 1000 + 900);
    /** Versions only grow, as the fleet's sequence does. */
    private static final AtomicLong VERSIONS = new AtomicLong(1_000);
    private final ObjectMapper mapper = new ObjectMapper().registerModule(new com.fasterxml.jackson.datatype.jsr310.JavaTimeModule());

    @Inject
    Pool pool;

    private static String auth(long reseller) {
        return "Bearer " + InternalTokens.orders().reseller(reseller);
    }

    /** The fleet announces {@code id} (as its trigger does) and order-service has applied it. */
    private long announce(String id, boolean active) throws Exception {
        long version = VERSIONS.incrementAndGet();
        announce(id, active, version);
        await().atMost(Duration.ofSeconds(30)).until(() -> Long.valueOf(version).equals(knownVersion(id)));
        return version;
    }

    private void announce(String id, boolean active, long version) throws Exception {
        announce(id, active, version, id);
    }

    /** {@code key}: the Kafka key, which picks the partition (the fleet's is the location id). */
    private void announce(String id, boolean active, long version, String key) throws Exception {
        String json = EventJson.write(mapper, EventEnvelope.of(EventTypes.LOCATION_UPDATED, 0,
                new LocationUpdated(id, "City " + id, false, active, version)));
        EventSchemas.assertValid(json);
        Events.produce(EventTypes.LOCATION_UPDATED, key, json);
    }

    private Long knownVersion(String id) {
        var rows = pool.preparedQuery("select version from known_locations where id = $1").execute(Tuple.of(id))
                .await().atMost(Duration.ofSeconds(10));
        return rows.iterator().hasNext() ? rows.iterator().next().getLong(0) : null;
    }

    private io.restassured.response.Response order(long reseller, Object locationId) {
        return given().header("Authorization", auth(reseller)).contentType(ContentType.JSON)
                .body(Map.of("product_id", 1, "pricing_id", 1, "location_id", locationId)).post("/v1/reseller/orders");
    }

    @Test
    void shouldCarryTheLocationAskedForToTheFleet() throws Exception {
        announce("NYC", true);
        long reseller = RESELLERS.incrementAndGet();
        long orderId = order(reseller, "NYC").then().statusCode(201).body("location_id", equalTo("NYC"))
                .extract().jsonPath().getLong("id");
        given().header("Authorization", auth(reseller)).post("/v1/reseller/orders/" + orderId + "/pay").then().statusCode(200);
        List<String> paid = Events.ofOrder(EventTypes.ORDER_PAID, orderId);
        EventSchemas.assertValid(paid.get(0));
        assertEquals("NYC", mapper.readTree(paid.get(0)).at("/data/location_id").asText());

        long anywhere = given().header("Authorization", auth(reseller)).contentType(ContentType.JSON)
                .body(Map.of("product_id", 1, "pricing_id", 1)).post("/v1/reseller/orders")
                .then().statusCode(201).body("location_id", nullValue()).extract().jsonPath().getLong("id");
        given().header("Authorization", auth(reseller)).post("/v1/reseller/orders/" + anywhere + "/pay").then().statusCode(200);
        assertTrue(mapper.readTree(Events.ofOrder(EventTypes.ORDER_PAID, anywhere).get(0)).at("/data/location_id").isMissingNode());
    }

    /**
     * Found trying the API as a new user: {@code "location_id": "XXX"} was 201, then paying charged it, the fleet
     * failed it and it was refunded. Now 422 like connect's, nothing written, nothing charged.
     */
    @Test
    void shouldRefuseALocationTheFleetDoesNotServe() throws Exception {
        announce("LAX", true);
        long reseller = RESELLERS.incrementAndGet();
        order(reseller, "XXX").then().statusCode(422).body("code", equalTo("validation_failed"))
                .body("detail", equalTo("Unknown location_id 'XXX'"));
        // the catalog is judged first: an unknown product is still 404
        given().header("Authorization", auth(reseller)).contentType(ContentType.JSON)
                .body(Map.of("product_id", 999, "pricing_id", 1, "location_id", "XXX")).post("/v1/reseller/orders")
                .then().statusCode(404);
        given().header("Authorization", auth(reseller)).get("/v1/reseller/orders").then().body("total", equalTo(0));
        order(reseller, "LAX").then().statusCode(201).body("location_id", equalTo("LAX"));
        // a renewal carries no location and is not affected
        given().header("Authorization", auth(reseller)).contentType(ContentType.JSON)
                .body(Map.of("proxy_id", 5, "pricing_id", 1)).post("/v1/reseller/orders").then().statusCode(404);
    }

    /**
     * A location the fleet stopped serving: new orders are 422, an unpaid order for it is 409 at pay before any
     * charge (the fleet would fail and refund it), and a late, older event cannot bring it back.
     */
    @Test
    void shouldRefuseARemovedLocationAndKeepItsNewestState() throws Exception {
        String city = "R" + (System.nanoTime() % 1_000_000);
        long first = announce(city, true);
        long reseller = RESELLERS.incrementAndGet();
        long unpaid = order(reseller, city).then().statusCode(201).extract().jsonPath().getLong("id");

        announce(city, false);
        order(reseller, city).then().statusCode(422).body("detail", equalTo("Unknown location_id '" + city + "'"));
        int charges = BillingStub.chargeRequests.size();
        given().header("Authorization", auth(reseller)).post("/v1/reseller/orders/" + unpaid + "/pay")
                .then().statusCode(409).body("code", equalTo("conflict")).body("detail", containsString("no longer served"));
        assertEquals(charges, BillingStub.chargeRequests.size(), "nothing was charged");
        given().header("Authorization", auth(reseller)).get("/v1/reseller/orders/" + unpaid)
                .then().body("status", equalTo("pending_payment"));

        long newest = knownVersion(city);
        announce(city, true, first); // a redelivered older state
        // A marker on the same partition (same key), so it is consumed after the older state was
        String marker = "ZZ" + (System.nanoTime() % 1_000_000);
        long markerVersion = VERSIONS.incrementAndGet();
        announce(marker, true, markerVersion, city);
        await().atMost(Duration.ofSeconds(30)).until(() -> Long.valueOf(markerVersion).equals(knownVersion(marker)));
        assertEquals(newest, knownVersion(city));
        order(reseller, city).then().statusCode(422);
    }

    /** Before the fleet announced anything (a fresh install), any well-formed location goes to the fleet, as before. */
    @Test
    void shouldLeaveTheLocationToTheFleetWhileNoneIsKnown() throws Exception {
        pool.query("delete from known_locations").execute().await().atMost(Duration.ofSeconds(10));
        long reseller = RESELLERS.incrementAndGet();
        order(reseller, "QQQ").then().statusCode(201).body("location_id", equalTo("QQQ"));
        announce("MIA", true);
        order(reseller, "QQQ").then().statusCode(422);
        assertFalse(knownVersion("MIA") == null);
    }

    @Test
    void shouldRefuseALocationThatIsNoLocationId() {
        long reseller = RESELLERS.incrementAndGet();
        for (Object bad : List.of("nyc", "", "N", "A".repeat(33), "LA X", 7)) {
            order(reseller, bad).then().statusCode(422).body("detail", containsString("location_id"));
        }
        given().header("Authorization", auth(reseller)).contentType(ContentType.JSON)
                .body(Map.of("proxy_id", 5, "pricing_id", 1, "location_id", "NYC")).post("/v1/reseller/orders")
                .then().statusCode(422).body("detail", containsString("renewal"));
        given().header("Authorization", auth(reseller)).get("/v1/reseller/orders").then().body("total", equalTo(0));
    }
}
