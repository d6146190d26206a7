package com.proxyvault.systemtests;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static com.proxyvault.systemtests.StackApi.operator;
import static com.proxyvault.systemtests.StackApi.reseller;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The operator's fleet view through the gateway (issue 8, item 8): the stack's agent and its modems, as the
 * fleet knows them, and the locations an operator adds, changes and removes (docs/fleet.md "Removing a modem and
 * adding a location"). Draining is shown in the fleet's own tests (it would take modems from other system tests).
 */
class FleetAdminIT {

    @BeforeAll
    static void gateway() {
        StackApi.useGateway();
    }

    @Test
    void shouldListTheAgentsAndModemsToOperatorsOnly() {
        JsonNode agent = FleetOps.agent("agent-local-1");
        assertTrue(agent.get("connected").asBoolean());
        assertTrue(agent.get("online").asBoolean());
        assertTrue(agent.get("modems").asLong() > 0);
        // the operator's filters: one agent's modems in one city (every page: bench/pay's modems may sit on this agent)
        operator().get("/v1/admin/modems?agent_id=agent-local-1&location_id=LAX").then().statusCode(200)
                .body("modems.location_id", everyItem(equalTo("LAX")))
                .body("modems.agent_id", everyItem(equalTo("agent-local-1")))
                .body("total", greaterThan(0));
        JsonNode lax1 = FleetOps.everyPage("/v1/admin/modems?agent_id=agent-local-1&location_id=LAX", "modems").stream()
                .filter(modem -> modem.get("id").asText().equals("agent-local-1/lax-1")).findFirst()
                .orElseThrow(() -> new AssertionError("agent-local-1/lax-1 is not listed"));
        assertTrue(lax1.hasNonNull("exit_ip"));
        assertFalse(lax1.get("draining").asBoolean());
        operator().get("/v1/admin/modems?agent_id=no-such-agent").then().statusCode(200)
                .body("modems", hasSize(0)).body("total", equalTo(0));
        operator().post("/v1/admin/agents/agent-local-1/modems/no-such-modem/drain").then().statusCode(404)
                .body("code", equalTo("not_found"));
        operator().post("/v1/admin/agents/agent-local-1/modems/..%2F..%2Fx/drain").then().statusCode(404);
        // a modem's capacity through the gateway (set to what it is: other tests place on this stack meanwhile)
        operator().contentType("application/json").body("{\"capacity\": " + lax1.get("capacity").asInt() + "}")
                .patch("/v1/admin/agents/agent-local-1/modems/lax-1").then().statusCode(200)
                .body("id", equalTo("agent-local-1/lax-1")).body("capacity", equalTo(lax1.get("capacity").asInt()));
        operator().contentType("application/json").body("{\"capacity\": 0}")
                .patch("/v1/admin/agents/agent-local-1/modems/lax-1").then().statusCode(422).body("code", equalTo("validation_failed"));
        operator().contentType("application/json").body("{\"capacity\": 2}")
                .patch("/v1/admin/agents/agent-local-1/modems/no-such-modem").then().statusCode(404);

        // paged like every list (docs/api.md "Lists"): a page of one with the total beside it, 422 naming a bad parameter
        operator().get("/v1/admin/agents?limit=1").then().statusCode(200)
                .body("agents", hasSize(1)).body("total", greaterThan(0));
        operator().get("/v1/admin/modems?limit=1&offset=0").then().statusCode(200)
                .body("modems", hasSize(1)).body("total", greaterThan(0));
        operator().get("/v1/admin/modems?limit=0").then().statusCode(422)
                .body("code", equalTo("validation_failed")).body("detail", containsString("limit"));
        operator().get("/v1/admin/agents?connected=maybe").then().statusCode(422)
                .body("code", equalTo("validation_failed")).body("detail", containsString("connected"));
        operator().get("/v1/admin/modems?agent_id=" + "a".repeat(101)).then().statusCode(422)
                .body("code", equalTo("validation_failed")).body("detail", containsString("agent_id"));

        // the whole fleet's load per location in one answer: LAX counts every modem the paged list has there
        int laxModems = operator().get("/v1/admin/modems?location_id=LAX&limit=1").then().statusCode(200)
                .extract().jsonPath().getInt("total");
        operator().get("/v1/admin/locations").then().statusCode(200)
                .body("locations.find { it.id == 'LAX' }.modems", equalTo(laxModems))
                .body("locations.find { it.id == 'LAX' }.online_modems", greaterThan(0));

        var buyer = StackApi.newReseller(null);

        // A location an operator adds (docs/fleet.md "Removing a modem and adding a location"): listed at once with
        // zeros, and announced to order-service, which then takes purchases naming it (before: SQL only, and an
        // order naming it was 422 "unknown location"). A unique id per run: the stack may be reused.
        String added = "IT" + Math.abs(System.nanoTime() % 1_000_000_000L);
        operator().contentType(io.restassured.http.ContentType.JSON)
                .body(java.util.Map.of("id", added, "name", "FleetAdminIT", "is_5g", false)).post("/v1/admin/locations")
                .then().statusCode(201).body("id", equalTo(added)).body("modems", equalTo(0));
        operator().contentType(io.restassured.http.ContentType.JSON)
                .body(java.util.Map.of("id", added, "name", "again")).post("/v1/admin/locations")
                .then().statusCode(409).body("code", equalTo("location_exists"));
        operator().get("/v1/admin/locations").then().statusCode(200)
                .body("locations.find { it.id == '" + added + "' }.name", equalTo("FleetAdminIT"));
        long pending = org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
                .pollInterval(java.time.Duration.ofMillis(250)).until(() -> order(buyer, added), o -> o.statusCode() == 201)
                .jsonPath().getLong("id");

        // A typo in a new location is fixed in place (PATCH: name and is_5g, the id stays), and the list shows it.
        operator().body(java.util.Map.of("name", "FleetAdminIT renamed", "is_5g", true)).patch("/v1/admin/locations/" + added)
                .then().statusCode(200).body("id", equalTo(added)).body("name", equalTo("FleetAdminIT renamed"))
                .body("is_5g", equalTo(true)).body("modems", equalTo(0));
        operator().get("/v1/admin/locations").then().statusCode(200)
                .body("locations.find { it.id == '" + added + "' }.name", equalTo("FleetAdminIT renamed"))
                .body("locations.find { it.id == '" + added + "' }.is_5g", equalTo(true));
        operator().body(java.util.Map.of("name", "x")).patch("/v1/admin/locations/" + added + "X").then().statusCode(404)
                .body("code", equalTo("not_found")).body("detail", notNullValue());
        // nothing to change: no body (judged by the gateway), an empty object and an unknown field (by the fleet)
        operator().patch("/v1/admin/locations/" + added).then().statusCode(422)
                .body("code", equalTo("validation_failed")).body("detail", notNullValue());
        operator().body("{}").patch("/v1/admin/locations/" + added).then().statusCode(422)
                .body("code", equalTo("validation_failed")).body("detail", containsString("name"));
        operator().body(java.util.Map.of("colour", "red")).patch("/v1/admin/locations/" + added).then().statusCode(422)
                .body("code", equalTo("validation_failed")).body("detail", containsString("colour"));

        // A location modems name stays (they, and proxies, refer to it)...
        operator().delete("/v1/admin/locations/LAX").then().statusCode(409)
                .body("code", equalTo("location_in_use")).body("detail", containsString("LAX"));
        // ...one only an unpaid order names goes (orders do not hold a location, docs/fleet.md): 204, gone from the
        // list, 404 the second time.
        operator().delete("/v1/admin/locations/" + added).then().statusCode(204);
        operator().get("/v1/admin/locations").then().statusCode(200)
                .body("locations.id", not(hasItem(added)));
        operator().delete("/v1/admin/locations/" + added).then().statusCode(404).body("code", equalTo("not_found"));
        // Its location.updated ("active": false) reaches order-service, which then refuses orders naming it, and the
        // payment of the order created before (409 before any money moves: the fleet could only fail it and refund).
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
                .pollInterval(java.time.Duration.ofMillis(500)).until(() -> order(buyer, added).statusCode() == 422);
        order(buyer, added).then().statusCode(422).body("code", equalTo("validation_failed"))
                .body("detail", containsString(added));
        reseller(buyer.key()).post("/v1/reseller/orders/" + pending + "/pay").then().statusCode(409)
                .body("detail", containsString(added));
        // a modem its connected agent announces cannot be removed: it would be back at the next Hello
        operator().delete("/v1/admin/agents/agent-local-1/modems/lax-1").then().statusCode(409)
                .body("code", equalTo("modem_announced"));
        operator().delete("/v1/admin/agents/agent-local-1/modems/no-such-modem").then().statusCode(404);

        reseller(buyer.key()).get("/v1/admin/modems").then().statusCode(org.hamcrest.Matchers.oneOf(401, 403));
        reseller(buyer.key()).get("/v1/admin/locations").then().statusCode(org.hamcrest.Matchers.oneOf(401, 403));
    }

    /** The reseller's one-hour order naming {@code location} (unpaid), as answered. */
    private static io.restassured.response.Response order(StackApi.Reseller buyer, String location) {
        return reseller(buyer.key()).contentType(io.restassured.http.ContentType.JSON)
                .body(java.util.Map.of("product_id", 1, "pricing_id", 1, "location_id", location)).post("/v1/reseller/orders");
    }
}
