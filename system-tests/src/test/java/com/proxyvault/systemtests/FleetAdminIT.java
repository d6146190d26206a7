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
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The operator's fleet view through the gateway (issue 8, item 8): the stack's agent and its modems, as the
 * fleet knows them. Draining is shown in the fleet's own tests (it would take modems from other system tests).
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
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() -> reseller(buyer.key())
                .contentType(io.restassured.http.ContentType.JSON)
                .body(java.util.Map.of("product_id", 1, "pricing_id", 1, "location_id", added)).post("/v1/reseller/orders")
                .statusCode() == 201);
        // a modem its connected agent announces cannot be removed: it would be back at the next Hello
        operator().delete("/v1/admin/agents/agent-local-1/modems/lax-1").then().statusCode(409)
                .body("code", equalTo("modem_announced"));
        operator().delete("/v1/admin/agents/agent-local-1/modems/no-such-modem").then().statusCode(404);

        reseller(buyer.key()).get("/v1/admin/modems").then().statusCode(org.hamcrest.Matchers.oneOf(401, 403));
        reseller(buyer.key()).get("/v1/admin/locations").then().statusCode(org.hamcrest.Matchers.oneOf(401, 403));
    }
}
