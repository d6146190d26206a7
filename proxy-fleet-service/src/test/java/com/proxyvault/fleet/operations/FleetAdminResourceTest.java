package com.proxyvault.fleet.operations;

import com.proxyvault.platform.auth.InternalTokens;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ValidatableResponse;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The operator's paged fleet lists ({@link FleetAdminResource}): {@code GET /internal/modems} and
 * {@code GET /internal/agents} in id order with the filter's {@code total}, their filters, and 422 for a bad page
 * or filter.
 *
 * <p>The rows sit in a location of their own (ADM) on two agents made for this test and removed after it, so
 * what other tests leave behind takes no part; every modem is draining, so no placement of another test lands on
 * them, and the agents were heard from "in an hour", so no liveness sweep marks them silent meanwhile.
 */
@QuarkusTest
class FleetAdminResourceTest {

    private static final String LOCATION = "ADM";
    private static final String CONNECTED = "adm-list-1";
    private static final String SILENT = "adm-list-2";
    private static final AtomicLong ORDERS = new AtomicLong(System.nanoTime() % 1_000_000 * 1000 + 700_000_000L);
    private static final Duration WAIT = Duration.ofSeconds(30);

    @Inject
    Pool pool;

    private final String operator = "Bearer " + InternalTokens.fleet().operator();
    /** The proxies on CONNECTED/m1, by status. */
    private long provisioning;
    private long active;
    private long offline;
    /** The one active proxy on CONNECTED/m2. */
    private long activeOnM2;

    @BeforeEach
    void fleetOfItsOwn() {
        removeFleet();
        run("insert into locations (id, name, is_5g) values ($1, 'Operator list test', false)", Tuple.of(LOCATION));
        for (String agent : List.of(CONNECTED, SILENT)) {
            run("""
                    insert into agents (id, public_host, port_range_start, port_range_end, connected, last_seen_at)
                    values ($1, '127.0.0.1', 32000, 32099, $2, now() + interval '1 hour')""",
                    Tuple.of(agent, agent.equals(CONNECTED)));
        }
        for (String modem : List.of(CONNECTED + "/m1", CONNECTED + "/m2", CONNECTED + "/m3", SILENT + "/m1")) {
            run("""
                    insert into modems (id, agent_id, modem_id, location_id, is_5g, exit_ip, capacity, draining, updated_at)
                    values ($1, $2, $3, $4, false, '192.0.2.1', 10, true, now())""",
                    Tuple.of(modem, modem.split("/")[0], modem.split("/")[1], LOCATION));
        }
        provisioning = proxy(CONNECTED + "/m1", "provisioning", 32000);
        active = proxy(CONNECTED + "/m1", "active", 32001);
        offline = proxy(CONNECTED + "/m1", "offline", 32002);
        // ended or off its modem: not among the modem's proxies
        proxy(CONNECTED + "/m1", "expired", 32003);
        proxy(CONNECTED + "/m1", "failed", 32004);
        proxy(CONNECTED + "/m1", "disconnected", 32005);
        activeOnM2 = proxy(CONNECTED + "/m2", "active", 32006);
    }

    @AfterEach
    void removeFleet() {
        run("delete from proxies where agent_id in ($1, $2)", Tuple.of(CONNECTED, SILENT));
        run("delete from modems where agent_id in ($1, $2)", Tuple.of(CONNECTED, SILENT));
        run("delete from agents where id in ($1, $2)", Tuple.of(CONNECTED, SILENT));
        run("delete from locations where id = $1", Tuple.of(LOCATION));
    }

    @Test
    void shouldPageTheModemsInIdOrderWithTheTotalOfTheFilter() {
        list("/internal/modems?location_id=ADM&limit=2")
                .body("modems.id", equalTo(List.of(CONNECTED + "/m1", CONNECTED + "/m2")))
                .body("total", equalTo(4));
        list("/internal/modems?location_id=ADM&limit=2&offset=2")
                .body("modems.id", equalTo(List.of(CONNECTED + "/m3", SILENT + "/m1")))
                .body("total", equalTo(4));
        list("/internal/modems?location_id=ADM&offset=4").body("modems", empty()).body("total", equalTo(4));
        list("/internal/modems?agent_id=" + CONNECTED + "&location_id=ADM")
                .body("modems.id", equalTo(List.of(CONNECTED + "/m1", CONNECTED + "/m2", CONNECTED + "/m3")))
                .body("total", equalTo(3));
        list("/internal/modems?agent_id=" + SILENT)
                .body("modems.id", equalTo(List.of(SILENT + "/m1"))).body("total", equalTo(1));
        list("/internal/modems?agent_id=" + CONNECTED + "&location_id=LAX").body("modems", empty()).body("total", equalTo(0));
        list("/internal/modems?agent_id=no-such-agent").body("modems", empty()).body("total", equalTo(0));
        // no filter: the first page of the fleet, 50 by default; an empty parameter is no filter
        list("/internal/modems?agent_id=&location_id=")
                .body("modems", hasSize(lessThanOrEqualTo(50))).body("total", greaterThanOrEqualTo(4));
    }

    @Test
    void shouldListTheProvisioningActiveAndOfflineProxiesOfEachModemOnThePageOnly() {
        ValidatableResponse page = list("/internal/modems?agent_id=" + CONNECTED);
        page.body("modems.find { it.id == '" + CONNECTED + "/m1' }.proxy_ids",
                        equalTo(ints(provisioning, active, offline)))
                .body("modems.find { it.id == '" + CONNECTED + "/m2' }.proxy_ids", equalTo(ints(activeOnM2)))
                .body("modems.find { it.id == '" + CONNECTED + "/m3' }.proxy_ids", empty())
                .body("modems.find { it.id == '" + CONNECTED + "/m1' }.online", equalTo(true))
                .body("modems.find { it.id == '" + CONNECTED + "/m1' }.draining", equalTo(true))
                .body("modems.find { it.id == '" + CONNECTED + "/m1' }.location_id", equalTo(LOCATION));
        // the same modem on a page of one
        list("/internal/modems?location_id=ADM&limit=1")
                .body("modems[0].proxy_ids", equalTo(ints(provisioning, active, offline)));
    }

    @Test
    void shouldPageTheAgentsWithTheirModemsAndHeldProxies() {
        list("/internal/agents?connected=true&limit=100")
                .body("agents.find { it.id == '" + CONNECTED + "' }.modems", equalTo(3))
                .body("agents.find { it.id == '" + CONNECTED + "' }.proxies", equalTo(4))
                .body("agents.find { it.id == '" + CONNECTED + "' }.online", equalTo(true))
                .body("agents.find { it.id == '" + SILENT + "' }", nullValue())
                .body("agents.connected", everyItem(equalTo(true)));
        list("/internal/agents?connected=false&limit=100")
                .body("agents.find { it.id == '" + SILENT + "' }.modems", equalTo(1))
                .body("agents.find { it.id == '" + SILENT + "' }.proxies", equalTo(0))
                .body("agents.find { it.id == '" + SILENT + "' }.online", equalTo(false));

        // one at a time, the pages walk the agents in id order and the total counts them all
        long total = list("/internal/agents").extract().jsonPath().getLong("total");
        List<String> walked = new ArrayList<>();
        for (int offset = 0; offset < total; offset += 100) {
            walked.addAll(list("/internal/agents?limit=100&offset=" + offset).body("total", equalTo((int) total))
                    .extract().jsonPath().getList("agents.id", String.class));
        }
        assertEquals(total, walked.size());
        assertEquals(walked.stream().sorted().toList(), walked);
        list("/internal/agents?limit=1").body("agents", hasSize(1));
    }

    @ParameterizedTest
    @CsvSource({
            "/internal/modems?limit=0, limit",
            "/internal/modems?limit=101, limit",
            "/internal/modems?offset=-1, offset",
            "/internal/modems?agent_id=%01, agent_id",
            "/internal/modems?location_id=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456, location_id",
            "/internal/agents?limit=1e1, limit",
            "/internal/agents?offset=x, offset",
            "/internal/agents?connected=yes, connected",
    })
    void shouldRefuseABadPageOrFilterNamingIt(String path, String parameter) {
        given().header("Authorization", operator).urlEncodingEnabled(false).get(path).then().statusCode(422)
                .body("code", equalTo("validation_failed")).body("detail", containsString(parameter));
    }

    @Test
    void shouldRefuseAnAgentIdLongerThanAnyAgentHas() {
        given().header("Authorization", operator).queryParam("agent_id", "a".repeat(101)).get("/internal/modems")
                .then().statusCode(422).body("code", equalTo("validation_failed")).body("detail", containsString("agent_id"));
    }

    private ValidatableResponse list(String path) {
        return given().header("Authorization", operator).get(path).then().statusCode(200);
    }

    /** Proxy ids as JSON numbers read back (small ids are Integers in REST Assured's JSON path). */
    private static List<Object> ints(long... ids) {
        List<Object> out = new ArrayList<>();
        for (long id : ids) {
            out.add(id <= Integer.MAX_VALUE ? (Object) (int) id : (Object) id);
        }
        return out;
    }

    /** A proxy on {@code modem} in {@code status}; created and sent "in an hour", so no provisioning timeout fails it. */
    private long proxy(String modem, String status, int port) {
        long order = ORDERS.incrementAndGet();
        return pool.preparedQuery("""
                        insert into proxies (reseller_id, order_id, name, modem_id, agent_id, location_id, ip, port, username,
                                             password, status, period_type, period_duration, created_at, command_sent_at,
                                             activated_at, expires_at, updated_at)
                        values (1, $1, 'admin list test', $2, $3, $4, '127.0.0.1', $5, $7, 'p', $6, 'day', 1,
                                now() + interval '1 hour', now() + interval '1 hour', now(), now() + interval '1 day', now())
                        returning id""")
                .execute(Tuple.from(List.of(order, modem, modem.split("/")[0], LOCATION, port, status, "u" + order)))
                .await().atMost(WAIT).iterator().next().getLong(0);
    }

    private void run(String sql, Tuple args) {
        pool.preparedQuery(sql).execute(args).await().atMost(WAIT);
    }
}
