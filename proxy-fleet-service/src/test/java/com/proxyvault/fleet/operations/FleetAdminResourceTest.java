package com.proxyvault.fleet.operations;

import com.proxyvault.fleet.agents.FleetReplicas;
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
 * or filter; and the whole fleet's load per location, {@code GET /internal/locations}.
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
    /** The load test's locations, one with modems in every state and one without any, and its two agents. */
    private static final String LOADED = "LDA";
    private static final String EMPTY = "LDE";
    private static final String LOAD_AGENT = "adm-load-1";
    private static final String LOAD_SILENT = "adm-load-2";
    /** A replica that crashed: its row stays with a lease that ran out. */
    private static final String DEAD_REPLICA = "adm-dead-replica";
    private static final AtomicLong ORDERS = new AtomicLong(System.nanoTime() % 1_000_000 * 1000 + 700_000_000L);
    private static final Duration WAIT = Duration.ofSeconds(30);

    @Inject
    Pool pool;
    @Inject
    FleetReplicas replicas;

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
            // CONNECTED's stream is held by this replica, whose lease lives while the test runs
            run("""
                    insert into agents (id, public_host, port_range_start, port_range_end, connected, last_seen_at, replica_id)
                    values ($1, '127.0.0.1', 32000, 32099, $2, now() + interval '1 hour', $3)""",
                    Tuple.of(agent, agent.equals(CONNECTED), agent.equals(CONNECTED) ? replicas.id() : null));
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
        Tuple agents = Tuple.of(CONNECTED, SILENT, LOAD_AGENT, LOAD_SILENT);
        run("delete from proxies where agent_id in ($1, $2, $3, $4)", agents);
        run("delete from modems where agent_id in ($1, $2, $3, $4)", agents);
        run("delete from agents where id in ($1, $2, $3, $4)", agents);
        run("delete from locations where id in ($1, $2, $3)", Tuple.of(LOCATION, LOADED, EMPTY));
        run("delete from fleet_replicas where id = $1", Tuple.of(DEAD_REPLICA));
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
    void shouldSetAModemsCapacityAndKeepWhatItHoldsBelowIt() {
        patch(CONNECTED, "m3", "{\"capacity\": 3}").statusCode(200)
                .body("id", equalTo(CONNECTED + "/m3")).body("capacity", equalTo(3));
        list("/internal/modems?agent_id=" + CONNECTED).body("modems.find { it.id == '" + CONNECTED + "/m3' }.capacity", equalTo(3));
        // below what it holds (three proxies): none is taken away, it only gets no new one
        patch(CONNECTED, "m1", "{\"capacity\": 1}").statusCode(200).body("capacity", equalTo(1))
                .body("proxy_ids", equalTo(ints(provisioning, active, offline)));
        for (String bad : List.of("{\"capacity\": 0}", "{\"capacity\": 101}", "{}", "{\"capacity\": null}")) {
            patch(CONNECTED, "m3", bad).statusCode(422).body("code", equalTo("validation_failed"));
        }
        patch(CONNECTED, "no-such-modem", "{\"capacity\": 2}").statusCode(404);
        list("/internal/modems?agent_id=" + CONNECTED).body("modems.find { it.id == '" + CONNECTED + "/m3' }.capacity", equalTo(3));
    }

    private ValidatableResponse patch(String agent, String modem, String json) {
        return given().header("Authorization", operator).contentType("application/json").body(json)
                .patch("/internal/agents/" + agent + "/modems/" + modem).then();
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

    /**
     * LDA's modems, one of each kind, on two agents that are not connected, so no placement of another test lands
     * on them (placement wants an open stream; the figures, as the modems list, only a recent report): LOAD_AGENT
     * was heard from "in a day", LOAD_SILENT a day ago: a day either way whatever the database's time zone.
     */
    /**
     * An agent whose stream's replica was killed: {@code agents.connected} stays true (only a stream's end clears it)
     * and its last report is recent, but no live replica holds it. It reads {@code connected: false} and {@code online:
     * false} as soon as the holder's lease ran out, and {@code ?connected=false} lists it (new-user review: shown
     * connected for more than 3 minutes after a kill -9, and hidden by exactly the filter an operator would use).
     * Fails on the list before it, which showed the column.
     */
    @Test
    void shouldShowAnAgentDisconnectedOnceTheLeaseOfTheReplicaHoldingItsStreamRanOut() {
        run("insert into fleet_replicas (id, url, lease_until) values ($1, 'http://127.0.0.1:1', now() at time zone 'utc' - interval '1 second')",
                Tuple.of(DEAD_REPLICA));
        run("update agents set replica_id = $1 where id = $2", Tuple.of(DEAD_REPLICA, CONNECTED));

        list("/internal/agents?connected=false&limit=100")
                .body("agents.find { it.id == '" + CONNECTED + "' }.connected", equalTo(false))
                .body("agents.find { it.id == '" + CONNECTED + "' }.online", equalTo(false))
                .body("agents.connected", everyItem(equalTo(false)));
        list("/internal/agents?connected=true&limit=100").body("agents.find { it.id == '" + CONNECTED + "' }", nullValue());
        list("/internal/agents?limit=100&offset=0")
                .body("agents.find { it.id == '" + CONNECTED + "' }.connected", equalTo(false));

        // the lease renewed (the replica was only slow): connected again
        run("update fleet_replicas set lease_until = now() at time zone 'utc' + interval '1 hour' where id = $1",
                Tuple.of(DEAD_REPLICA));
        list("/internal/agents?connected=true&limit=100")
                .body("agents.find { it.id == '" + CONNECTED + "' }.connected", equalTo(true))
                .body("agents.find { it.id == '" + CONNECTED + "' }.online", equalTo(true));
    }

    @Test
    void shouldCountTheWholeFleetsLoadPerLocationAsPlacementSeesIt() {
        run("insert into locations (id, name, is_5g) values ($1, 'Load test', true), ($2, 'Load test, no modems', false)",
                Tuple.of(LOADED, EMPTY));
        run("""
                insert into agents (id, public_host, port_range_start, port_range_end, connected, last_seen_at)
                values ($1, '127.0.0.1', 33000, 33099, false, now() + interval '1 day'),
                       ($2, '127.0.0.1', 33000, 33099, false, now() - interval '1 day')""",
                Tuple.of(LOAD_AGENT, LOAD_SILENT));
        loadModem(LOAD_AGENT + "/free", 3, true, false);     // online, 2 held of 3: 1 free slot
        loadModem(LOAD_AGENT + "/full", 2, true, false);     // online, 2 live of 2: none
        loadModem(LOAD_AGENT + "/over", 1, true, false);     // capacity lowered under its 2 live proxies: none, not -1
        loadModem(LOAD_AGENT + "/draining", 4, true, true);  // online but draining: its 3 free slots are not placeable
        loadModem(LOAD_AGENT + "/down", 2, false, false);    // its agent reports it down: offline
        loadModem(LOAD_SILENT + "/m1", 5, true, false);      // up by its agent's last report, but that agent is silent
        int port = 33000;
        proxy(LOADED, LOAD_AGENT + "/free", "active", port++);
        proxy(LOADED, LOAD_AGENT + "/free", "offline", port++); // holds its slot (V22): in live_proxies
        proxy(LOADED, LOAD_AGENT + "/free", "expired", port++);
        proxy(LOADED, LOAD_AGENT + "/full", "provisioning", port++);
        proxy(LOADED, LOAD_AGENT + "/full", "active", port++);
        proxy(LOADED, LOAD_AGENT + "/over", "active", port++);
        proxy(LOADED, LOAD_AGENT + "/over", "active", port++);
        proxy(LOADED, LOAD_AGENT + "/draining", "active", port++);
        proxy(LOADED, LOAD_SILENT + "/m1", "provisioning", 33000); // provisioning: the liveness sweep leaves it live

        ValidatableResponse locations = list("/internal/locations");
        String loaded = "locations.find { it.id == '" + LOADED + "' }.";
        locations.body(loaded + "name", equalTo("Load test")).body(loaded + "is_5g", equalTo(true))
                .body(loaded + "modems", equalTo(6))
                .body(loaded + "online_modems", equalTo(4))
                .body(loaded + "draining_modems", equalTo(1))
                .body(loaded + "capacity", equalTo(3 + 2 + 1 + 4 + 2 + 5))
                .body(loaded + "live_proxies", equalTo(2 + 2 + 2 + 1 + 1))
                .body(loaded + "free_slots", equalTo(1));
        // the lists' own location: four draining modems, online (their agents were heard from "in an hour")
        String listed = "locations.find { it.id == '" + LOCATION + "' }.";
        locations.body(listed + "modems", equalTo(4)).body(listed + "online_modems", equalTo(4))
                .body(listed + "draining_modems", equalTo(4)).body(listed + "capacity", equalTo(40))
                .body(listed + "live_proxies", equalTo(4)).body(listed + "free_slots", equalTo(0)); // its offline one too (V22)
        List<String> ids = locations.extract().jsonPath().getList("locations.id", String.class);
        assertEquals(ids.stream().sorted().toList(), ids, "in id order");
    }

    @Test
    void shouldGiveALocationWithoutModemsZeros() {
        run("insert into locations (id, name, is_5g) values ($1, 'Load test, no modems', false)", Tuple.of(EMPTY));
        String empty = "locations.find { it.id == '" + EMPTY + "' }.";
        list("/internal/locations").body(empty + "name", equalTo("Load test, no modems"))
                .body(empty + "is_5g", equalTo(false))
                .body(empty + "modems", equalTo(0)).body(empty + "online_modems", equalTo(0))
                .body(empty + "draining_modems", equalTo(0)).body(empty + "capacity", equalTo(0))
                .body(empty + "live_proxies", equalTo(0)).body(empty + "free_slots", equalTo(0));
    }

    @Test
    void shouldRefuseTheLocationsLoadToAReseller() {
        given().header("Authorization", "Bearer " + InternalTokens.fleet().reseller(1)).get("/internal/locations")
                .then().statusCode(403);
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

    /** A modem of LDA on the agent its id names. */
    private void loadModem(String id, int capacity, boolean online, boolean draining) {
        pool.preparedQuery("""
                        insert into modems (id, agent_id, modem_id, location_id, is_5g, exit_ip, online, capacity, draining,
                                            updated_at)
                        values ($1, $2, $3, $4, true, '192.0.2.2', $5, $6, $7, now())""")
                .execute(Tuple.from(List.of(id, id.split("/")[0], id.split("/")[1], LOADED, online, capacity, draining)))
                .await().atMost(WAIT);
    }

    private long proxy(String modem, String status, int port) {
        return proxy(LOCATION, modem, status, port);
    }

    /** A proxy on {@code modem} in {@code status}; created and sent "in an hour", so no provisioning timeout fails it. */
    private long proxy(String location, String modem, String status, int port) {
        long order = ORDERS.incrementAndGet();
        return pool.preparedQuery("""
                        insert into proxies (reseller_id, order_id, name, modem_id, agent_id, location_id, ip, port, username,
                                             password, status, period_type, period_duration, created_at, command_sent_at,
                                             activated_at, expires_at, updated_at)
                        values (1, $1, 'admin list test', $2, $3, $4, '127.0.0.1', $5, $7, 'p', $6, 'day', 1,
                                now() + interval '1 hour', now() + interval '1 hour', now(), now() + interval '1 day', now())
                        returning id""")
                .execute(Tuple.from(List.of(order, modem, modem.split("/")[0], location, port, status, "u" + order)))
                .await().atMost(WAIT).iterator().next().getLong(0);
    }

    private void run(String sql, Tuple args) {
        pool.preparedQuery(sql).execute(args).await().atMost(WAIT);
    }
}
