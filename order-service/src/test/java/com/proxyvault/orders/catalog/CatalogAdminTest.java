package com.proxyvault.orders.catalog;

import com.proxyvault.orders.BillingStub;
import com.proxyvault.platform.auth.InternalTokens;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The operators' catalog (F9, docs/operations.md "The catalog"): DESIGN.md says operators edit it, and there was no
 * API for it. Each test works on products of its own (the seed's product 1 stays as the other tests expect it).
 */
@QuarkusTest
@WithTestResource(BillingStub.class)
class CatalogAdminTest {

    private static final AtomicLong RESELLERS = new AtomicLong(System.nanoTime() % 1_000_000 * 1000 + 500);

    private static RequestSpecification operator() {
        return given().header("Authorization", "Bearer " + InternalTokens.orders().operator()).contentType(ContentType.JSON);
    }

    private static RequestSpecification reseller(long id) {
        return given().header("Authorization", "Bearer " + InternalTokens.orders().reseller(id)).contentType(ContentType.JSON);
    }

    private static String unique(String name) {
        return name + " " + System.nanoTime();
    }

    /** A product with one hourly tier at {@code price}; its product and pricing ids. */
    private static long[] product(String price) {
        var created = operator().body(Map.of("name", unique("Tier test"), "pricing",
                        List.of(Map.of("label", "1 Hour", "price", price, "period_type", "hour", "period_duration", 1))))
                .post("/internal/catalog/products").then().statusCode(201).extract().jsonPath();
        return new long[] {created.getLong("id"), created.getLong("pricing[0].id")};
    }

    private static long order(long reseller, long[] tier) {
        return reseller(reseller).body(Map.of("product_id", tier[0], "pricing_id", tier[1])).post("/v1/reseller/orders")
                .then().statusCode(201).extract().jsonPath().getLong("id");
    }

    @Test
    void shouldAddAProductWithItsPricingAndOfferItToResellers() {
        String name = unique("Residential 5G");
        int id = operator().body(Map.of("name", name, "description", "Dedicated 5G modem", "pricing", List.of(
                        Map.of("label", "1 Day", "price", "30.00", "period_type", "day", "period_duration", 1),
                        Map.of("label", "1 Week", "price", "150.50", "period_type", "week", "period_duration", 1))))
                .post("/internal/catalog/products")
                .then().statusCode(201).body("name", equalTo(name)).body("description", equalTo("Dedicated 5G modem"))
                .body("active", equalTo(true)).body("pricing", hasSize(2))
                .body("pricing[1].price", equalTo("150.50")).body("pricing[1].period_type", equalTo("week"))
                .body("pricing[1].active", equalTo(true)).extract().path("id");
        operator().get("/internal/catalog/products").then().statusCode(200).body("products.id", hasItem(id));
        operator().get("/internal/catalog/products/" + id).then().statusCode(200).body("pricing.label", hasItem("1 Week"));
        reseller(RESELLERS.incrementAndGet()).get("/v1/reseller/products").then().statusCode(200)
                .body("products.find { it.id == " + id + " }.pricing.price", equalTo(List.of("30.00", "150.50")))
                .body("products.find { it.id == " + id + " }.pricing[0].active", nullValue());

        // A product without a tier cannot be bought: resellers do not see it until it has one.
        int draft = operator().body(Map.of("name", unique("Draft"))).post("/internal/catalog/products")
                .then().statusCode(201).body("pricing", hasSize(0)).extract().path("id");
        reseller(RESELLERS.incrementAndGet()).get("/v1/reseller/products").then().body("products.id", not(hasItem(draft)));
        operator().body(Map.of("label", "1 Month", "price", "99.00", "period_type", "month", "period_duration", 1))
                .post("/internal/catalog/products/" + draft + "/pricing").then().statusCode(201)
                .body("product_id", equalTo(draft)).body("price", equalTo("99.00"));
        reseller(RESELLERS.incrementAndGet()).get("/v1/reseller/products").then().body("products.id", hasItem(draft));
    }

    /** Orders snapshot their price: a new price applies to orders created after it, and pay charges the snapshot. */
    @Test
    void shouldKeepTheAmountAnOrderWasCreatedWithWhenThePriceChanges() {
        long[] tier = product("15.00");
        long reseller = RESELLERS.incrementAndGet();
        long before = order(reseller, tier);
        operator().body(Map.of("price", "17.50")).patch("/internal/catalog/pricing/" + tier[1])
                .then().statusCode(200).body("price", equalTo("17.50")).body("label", equalTo("1 Hour"));
        long after = order(reseller, tier);
        reseller(reseller).get("/v1/reseller/orders/" + before).then().body("amount_usd", equalTo("15.00"));
        reseller(reseller).get("/v1/reseller/orders/" + after).then().body("amount_usd", equalTo("17.50"));
        reseller(reseller).post("/v1/reseller/orders/" + before + "/pay").then().statusCode(200);
        assertTrue(BillingStub.chargeRequests.stream().anyMatch(r -> r.contains("\"order:" + before + "\"")
                && r.contains("\"amount\":\"15.00\"")), BillingStub.chargeRequests.toString());
    }

    /** Retiring stops new orders (and hides what cannot be bought); an order created before keeps working. */
    @Test
    void shouldRetireATierAndAProductForNewOrdersOnly() {
        long[] tier = product("12.00");
        long reseller = RESELLERS.incrementAndGet();
        long pending = order(reseller, tier);
        operator().body(Map.of("active", false)).patch("/internal/catalog/pricing/" + tier[1])
                .then().statusCode(200).body("active", equalTo(false));
        reseller(reseller).body(Map.of("product_id", tier[0], "pricing_id", tier[1])).post("/v1/reseller/orders")
                .then().statusCode(404).body("detail", equalTo("Pricing not found for this product"));
        reseller(reseller).get("/v1/reseller/products").then().body("products.id", not(hasItem((int) tier[0])));
        reseller(reseller).post("/v1/reseller/orders/" + pending + "/pay").then().statusCode(200).body("status", equalTo("paid"));

        operator().body(Map.of("active", true)).patch("/internal/catalog/pricing/" + tier[1]).then().statusCode(200);
        order(reseller, tier);
        operator().body(Map.of("active", false)).patch("/internal/catalog/products/" + tier[0])
                .then().statusCode(200).body("active", equalTo(false)).body("pricing[0].active", equalTo(true));
        reseller(reseller).body(Map.of("product_id", tier[0], "pricing_id", tier[1])).post("/v1/reseller/orders")
                .then().statusCode(404).body("detail", equalTo("Product not found"));
        operator().get("/internal/catalog/products").then().body("products.find { it.id == " + tier[0] + " }.active",
                equalTo(false));
    }

    @Test
    void shouldRefuseBadCatalogInputNamingTheField() {
        long[] tier = product("10.00");
        String taken = operator().get("/internal/catalog/products/" + tier[0]).then().extract().path("name");
        operator().body(Map.of("name", taken.toUpperCase())).post("/internal/catalog/products")
                .then().statusCode(409).body("code", equalTo("conflict"))
                .body("detail", equalTo("A product named '" + taken + "' (id " + tier[0] + ") already exists; names are unique ignoring case"));
        operator().body(Map.of("name", " ")).post("/internal/catalog/products").then().statusCode(422).body("detail", containsString("name"));
        operator().body(Map.of("name", "x".repeat(101))).post("/internal/catalog/products").then().statusCode(422);
        for (var bad : List.<Map<String, Object>>of(
                Map.of("label", "A", "price", 5, "period_type", "hour", "period_duration", 1),
                Map.of("label", "A", "price", "1.234", "period_type", "hour", "period_duration", 1),
                Map.of("label", "A", "price", "0", "period_type", "hour", "period_duration", 1),
                Map.of("label", "A", "price", "5.00", "period_type", "year", "period_duration", 1),
                Map.of("label", "A", "price", "5.00", "period_type", "hour", "period_duration", 0),
                Map.of("label", "A", "price", "5.00", "period_type", "hour", "period_duration", 1.5),
                Map.of("label", "A", "price", "5.00", "period_type", "hour"),
                Map.of("label", "A", "price", "5.00", "period_type", "hour", "period_duration", 1, "active", false))) {
            operator().body(bad).post("/internal/catalog/products/" + tier[0] + "/pricing")
                    .then().statusCode(422).body("code", equalTo("validation_failed"));
        }
        operator().body(Map.of("label", "1 hour", "price", "5.00", "period_type", "hour", "period_duration", 1))
                .post("/internal/catalog/products/" + tier[0] + "/pricing").then().statusCode(409).body("detail", containsString("1 hour"));
        operator().body(Map.of()).patch("/internal/catalog/pricing/" + tier[1]).then().statusCode(422)
                .body("detail", containsString("Nothing to change"));
        // The period is what the tier means to every proxy bought on it: not changeable.
        operator().body(Map.of("period_type", "day")).patch("/internal/catalog/pricing/" + tier[1])
                .then().statusCode(422).body("detail", containsString("period_type"));
        operator().body(Map.of("active", "no")).patch("/internal/catalog/products/" + tier[0]).then().statusCode(422);
        operator().body(Map.of("price", "1.00")).patch("/internal/catalog/pricing/999999999").then().statusCode(404);
        operator().body(Map.of("active", false)).patch("/internal/catalog/products/0" + tier[0]).then().statusCode(404);
        operator().get("/internal/catalog/products/999999999").then().statusCode(404).body("detail", equalTo("Product not found"));
        operator().body("{\"name\": ").post("/internal/catalog/products").then().statusCode(400).body("code", equalTo("malformed_json"));
    }

    @Test
    void shouldLetOnlyOperatorsEditTheCatalog() {
        reseller(RESELLERS.incrementAndGet()).get("/internal/catalog/products").then().statusCode(403);
        reseller(RESELLERS.incrementAndGet()).body(Map.of("name", "mine")).post("/internal/catalog/products").then().statusCode(403);
        given().get("/internal/catalog/products").then().statusCode(401);
    }
}
