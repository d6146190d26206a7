package com.proxyvault.orders;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.proxyvault.contracts.events.EventSchemas;
import com.proxyvault.contracts.events.EventTypes;
import com.proxyvault.platform.auth.InternalTokens;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A purchase may name its location (issue 8, item 4); order.paid carries it to the fleet, which places it. */
@QuarkusTest
@WithTestResource(BillingStub.class)
class OrderLocationTest {

    private static final AtomicLong RESELLERS = new AtomicLong(System.nanoTime() % 1_000_000 * 1000 + 900);
    private final ObjectMapper mapper = new ObjectMapper();

    private static String auth(long reseller) {
        return "Bearer " + InternalTokens.orders().reseller(reseller);
    }

    @Test
    void shouldCarryTheLocationAskedForToTheFleet() throws Exception {
        long reseller = RESELLERS.incrementAndGet();
        long orderId = given().header("Authorization", auth(reseller)).contentType(ContentType.JSON)
                .body(Map.of("product_id", 1, "pricing_id", 1, "location_id", "NYC")).post("/v1/reseller/orders")
                .then().statusCode(201).body("location_id", equalTo("NYC")).extract().jsonPath().getLong("id");
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

    @Test
    void shouldRefuseALocationThatIsNoLocationId() {
        long reseller = RESELLERS.incrementAndGet();
        for (Object bad : List.of("nyc", "", "N", "A".repeat(33), "LA X", 7)) {
            given().header("Authorization", auth(reseller)).contentType(ContentType.JSON)
                    .body(Map.of("product_id", 1, "pricing_id", 1, "location_id", bad)).post("/v1/reseller/orders")
                    .then().statusCode(422).body("detail", containsString("location_id"));
        }
        given().header("Authorization", auth(reseller)).contentType(ContentType.JSON)
                .body(Map.of("proxy_id", 5, "pricing_id", 1, "location_id", "NYC")).post("/v1/reseller/orders")
                .then().statusCode(422).body("detail", containsString("renewal"));
        given().header("Authorization", auth(reseller)).get("/v1/reseller/orders").then().body("total", equalTo(0));
    }
}
