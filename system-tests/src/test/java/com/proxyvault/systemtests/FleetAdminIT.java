package com.proxyvault.systemtests;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static com.proxyvault.systemtests.StackApi.operator;
import static com.proxyvault.systemtests.StackApi.reseller;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.notNullValue;

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
        operator().get("/v1/admin/agents").then().statusCode(200)
                .body("agents.find { it.id == 'agent-local-1' }.connected", equalTo(true))
                .body("agents.find { it.id == 'agent-local-1' }.online", equalTo(true))
                .body("agents.find { it.id == 'agent-local-1' }.modems", greaterThan(0));
        operator().get("/v1/admin/modems").then().statusCode(200)
                .body("modems.find { it.id == 'agent-local-1/lax-1' }.location_id", equalTo("LAX"))
                .body("modems.find { it.id == 'agent-local-1/lax-1' }.exit_ip", notNullValue())
                .body("modems.find { it.id == 'agent-local-1/lax-1' }.draining", equalTo(false));
        operator().post("/v1/admin/agents/agent-local-1/modems/no-such-modem/drain").then().statusCode(404)
                .body("code", equalTo("not_found"));
        operator().post("/v1/admin/agents/agent-local-1/modems/..%2F..%2Fx/drain").then().statusCode(404);

        var buyer = StackApi.newReseller(null);
        reseller(buyer.key()).get("/v1/admin/modems").then().statusCode(org.hamcrest.Matchers.oneOf(401, 403));
    }
}
