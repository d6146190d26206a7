package com.proxyvault.fleet;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.proxyvault.contracts.agent.v1.FleetMessage;
import com.proxyvault.contracts.events.EventEnvelope;
import com.proxyvault.contracts.events.EventJson;
import com.proxyvault.contracts.events.EventTypes;
import com.proxyvault.contracts.events.OrderPaid;
import com.proxyvault.fleet.provisioning.OrderPaidListener;
import com.proxyvault.platform.auth.InternalTokens;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.vertx.VertxContextSupport;
import io.restassured.response.Response;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A connect keeps the place its proxy leaves booked until the move has ended (fleet migration V24, docs/fleet.md
 * "Connect while one runs"; static review, stop 27, finding 5): the old listener serves until the new one is
 * confirmed and, on another agent, until its release is answered. Before, the place was free from the placement's
 * commit on, and a purchase placed on the old agent meanwhile took its port (which the agent, still serving the
 * moving proxy there, refused: the purchase failed and was refunded) or its modem's slot.
 *
 * <p>Two agents of its own ({@code agent-z}, {@code agent-zz}) in two locations of its own, removed afterwards.
 */
@QuarkusTest
class MoveHoldTest {

    private static final int GRPC_PORT = 19091;
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String OLD_AGENT = "agent-z";
    private static final String NEW_AGENT = "agent-zz";
    private static final String HERE = "MHA";
    private static final String THERE = "MHB";
    private static final String ELSEWHERE = "MHC";
    private static final AtomicLong IDS = new AtomicLong(System.nanoTime() % 1_000_000 * 1000 + 900_000_000L);

    @Inject
    Pool pool;
    @Inject
    OrderPaidListener listener;
    @Inject
    ObjectMapper mapper;

    private final long reseller = IDS.incrementAndGet();

    @BeforeEach
    void locationsOfItsOwn() {
        removeFleet();
        for (String location : List.of(HERE, THERE, ELSEWHERE)) {
            run("insert into locations (id, name, is_5g) values ($1, 'Move hold test', false)", Tuple.of(location));
        }
    }

    @AfterEach
    void removeFleet() {
        for (String agent : List.of(OLD_AGENT, NEW_AGENT)) {
            for (String sql : List.of("delete from proxies where agent_id = $1 or move_from_agent_id = $1",
                    "delete from modems where agent_id = $1", "delete from agents where id = $1")) {
                run(sql, Tuple.of(agent));
            }
        }
        run("delete from locations where id = any($1)", Tuple.of(new String[] {HERE, THERE, ELSEWHERE}));
    }

    @Test
    void shouldKeepTheOldPlaceOfAMovingProxyUntilItsOldAgentReleasedIt() throws Throwable {
        try (TestAgent old = new TestAgent(GRPC_PORT); TestAgent target = new TestAgent(GRPC_PORT)) {
            old.hello(OLD_AGENT, "token-z", 31000, 31009, "z", HERE, HERE, HERE);
            assertTrue(old.next(WAIT).hasWelcome());
            target.hello(NEW_AGENT, "token-zz", 31100, 31109, "w", THERE);
            assertTrue(target.next(WAIT).hasWelcome());

            long moving = placeAndAnswer(old, HERE, "agent-z/z0", 31000);
            CompletableFuture<Response> connect = CompletableFuture.supplyAsync(() -> reseller().contentType("application/json")
                    .body("{\"location_id\":\"" + THERE + "\"}").post("/v1/reseller/proxies/" + moving + "/connect"));
            FleetMessage open = target.next(WAIT);
            assertEquals(31100, open.getProvisionProxy().getPort());

            // While the new listener is not confirmed, z0's slot and port 31000 are the moving proxy's: a purchase
            // goes to z1 and 31001 (before: z0, the least-loaded by id, and 31000, which the agent still served).
            placeAndAnswer(old, HERE, "agent-z/z1", 31001);

            target.answer(open, true, "");
            FleetMessage release = old.next(WAIT);
            assertTrue(release.hasReleaseProxy(), release.toString());
            assertEquals(moving, release.getReleaseProxy().getProxyId());
            assertEquals(31000, release.getReleaseProxy().getPort());
            // confirmed on the new agent, but the old one has not closed its listener yet: still held
            assertEquals(31000, held(moving).getInteger(1));
            assertFalse(connect.isDone(), "the connect answers once the old listener is closed");
            old.answer(release, true, "");
            assertEquals(200, connect.get().statusCode());
            assertEquals(null, held(moving).getString(0), "the move ended: nothing held");

            // the old place is free again: the next purchase takes z0 (least-loaded, first by id) and port 31000
            placeAndAnswer(old, HERE, "agent-z/z0", 31000);

            // A move whose replica died with its lease: every replica gives the place back once the lease ran out
            // (MoveHolds). Played by the lease running out while the move still waits for its agent.
            CompletableFuture<Response> back = CompletableFuture.supplyAsync(() -> reseller().contentType("application/json")
                    .body("{\"location_id\":\"" + HERE + "\"}").post("/v1/reseller/proxies/" + moving + "/connect"));
            FleetMessage reopen = old.next(WAIT);
            assertEquals(31002, reopen.getProvisionProxy().getPort());
            assertEquals("agent-zz/w0", held(moving).getString(0));
            run("update proxies set moving_until = now() at time zone 'utc' - interval '1 minute' where id = $1", Tuple.of(moving));
            await().atMost(WAIT).until(() -> held(moving).getString(0) == null);
            assertEquals(0, one("select live_proxies from modems where id = 'agent-zz/w0'", Tuple.tuple()).getInteger(0));
            old.answer(reopen, true, "");
            FleetMessage releaseThere = target.next(WAIT);
            assertTrue(releaseThere.hasReleaseProxy(), releaseThere.toString());
            target.answer(releaseThere, true, "");
            assertEquals(200, back.get().statusCode());
        }
    }

    /**
     * A move that fails after the liveness sweep marked the proxy offline at its new place (the new agent fell silent)
     * is put back all the same: the old place, which the move held, with the old status and credentials, and no lease
     * left. Before, only an active proxy was put back: this one stayed offline at the new place with credentials its
     * reseller never got, while the move's end gave up the old place that the old agent still served (static review,
     * stop 29, finding 2).
     */
    @Test
    void shouldPutBackAFailedMoveWhoseProxyWentOfflineAtItsNewPlace() throws Throwable {
        try (TestAgent old = new TestAgent(GRPC_PORT); TestAgent target = new TestAgent(GRPC_PORT)) {
            old.hello(OLD_AGENT, "token-z", 31000, 31009, "z", HERE);
            assertTrue(old.next(WAIT).hasWelcome());
            target.hello(NEW_AGENT, "token-zz", 31100, 31109, "w", THERE);
            assertTrue(target.next(WAIT).hasWelcome());

            long moving = placeAndAnswer(old, HERE, "agent-z/z0", 31000);
            Row before = one("select username, password from proxies where id = $1", Tuple.of(moving));
            CompletableFuture<Response> connect = CompletableFuture.supplyAsync(() -> reseller().contentType("application/json")
                    .body("{\"location_id\":\"" + THERE + "\"}").post("/v1/reseller/proxies/" + moving + "/connect"));
            FleetMessage open = target.next(WAIT);
            // what AgentLiveness writes when the new agent has been silent for the heartbeat timeout
            run("update proxies set status = 'offline' where id = $1 and agent_id = $2", Tuple.of(moving, NEW_AGENT));
            target.answer(open, false, "modem offline");
            assertEquals(503, connect.get().statusCode());

            Row after = one("""
                    select status, agent_id, port, username, password, moving_until, move_from_modem_id
                    from proxies where id = $1""", Tuple.of(moving));
            assertEquals(List.of("active", OLD_AGENT, 31000, before.getString(0), before.getString(1)),
                    List.of(after.getString(0), after.getString(1), after.getInteger(2), after.getString(3), after.getString(4)),
                    "back in its old place, as it was");
            assertEquals(null, after.getValue(5), "no lease left");
            assertEquals(null, after.getString(6), "nothing held");
            assertEquals(1, one("select live_proxies from modems where id = 'agent-z/z0'", Tuple.tuple()).getInteger(0));
            assertEquals(0, one("select live_proxies from modems where id = 'agent-zz/w0'", Tuple.tuple()).getInteger(0));
        }
    }

    /**
     * A move that fails after its lease ran out, and after its old modem's slot was taken meanwhile, leaves the proxy
     * disconnected instead of putting it back: the modem keeps its capacity. Before, the revert put it back regardless
     * and the capacity-1 modem had two live proxies (static review, stop 29, finding 5; the lease runs out only when
     * the connecting replica stalls or the replicas' clocks are apart, played here by moving it into the past).
     */
    @Test
    void shouldNotPutBackALapsedMoveOntoAModemThatFilledMeanwhile() throws Throwable {
        try (TestAgent old = new TestAgent(GRPC_PORT); TestAgent target = new TestAgent(GRPC_PORT)) {
            old.hello(OLD_AGENT, "token-z", 31000, 31009, "z", HERE, ELSEWHERE);
            assertTrue(old.next(WAIT).hasWelcome());
            target.hello(NEW_AGENT, "token-zz", 31100, 31109, "w", THERE);
            assertTrue(target.next(WAIT).hasWelcome());

            long moving = placeAndAnswer(old, HERE, "agent-z/z0", 31000);
            CompletableFuture<Response> connect = CompletableFuture.supplyAsync(() -> reseller().contentType("application/json")
                    .body("{\"location_id\":\"" + THERE + "\"}").post("/v1/reseller/proxies/" + moving + "/connect"));
            FleetMessage open = target.next(WAIT);
            run("update proxies set moving_until = now() at time zone 'utc' - interval '1 minute' where id = $1", Tuple.of(moving));
            await().atMost(WAIT).until(() -> held(moving).getString(0) == null);

            // z0's slot goes to another purchase, on another port than the moving proxy's old one (which would have
            // failed the revert's write on the port's unique index instead): 31000 to a proxy elsewhere, then z0 and
            // 31001, then the proxy elsewhere leaves 31000 free again (what a disconnect writes)
            long elsewhere = placeAndAnswer(old, ELSEWHERE, "agent-z/z1", 31000);
            placeAndAnswer(old, HERE, "agent-z/z0", 31001);
            run("update proxies set status = 'disconnected' where id = $1", Tuple.of(elsewhere));

            target.answer(open, false, "modem offline");
            assertEquals(503, connect.get().statusCode());
            Row after = one("select status, moving_until, move_from_modem_id from proxies where id = $1", Tuple.of(moving));
            assertEquals("disconnected", after.getString(0), "not put back: its old modem is full");
            assertEquals(null, after.getValue(1), "no lease left");
            assertEquals(null, after.getString(2), "nothing held");
            assertEquals(1, one("select live_proxies from modems where id = 'agent-z/z0'", Tuple.tuple()).getInteger(0));
            assertEquals(0, one("select live_proxies from modems where id = 'agent-zz/w0'", Tuple.tuple()).getInteger(0));
        }
    }

    /**
     * A paid order for {@code location} through the consumer's own entry point, answered ok by {@code agent}; checks
     * the proxy went to {@code modem} and {@code port}. Returns the proxy id, once active.
     */
    private long placeAndAnswer(TestAgent agent, String location, String modem, int port) throws Throwable {
        String paid = EventJson.write(mapper, EventEnvelope.of(EventTypes.ORDER_PAID, reseller, new OrderPaid(IDS.incrementAndGet(),
                1, 1, "Move hold test", "1 Day", new BigDecimal("10.00"), "day", 1, LocalDateTime.now(), null, location)));
        VertxContextSupport.subscribeAndAwait(() -> listener.onOrderPaid(paid));
        FleetMessage provision = agent.next(WAIT);
        assertTrue(provision.hasProvisionProxy(), provision.toString());
        long proxyId = provision.getProvisionProxy().getProxyId();
        assertEquals(modem, one("select modem_id from proxies where id = $1", Tuple.of(proxyId)).getString(0));
        assertEquals(port, provision.getProvisionProxy().getPort());
        agent.answer(provision, true, "");
        await().atMost(WAIT).until(() -> "active".equals(one("select status from proxies where id = $1", Tuple.of(proxyId)).getString(0)));
        return proxyId;
    }

    /** The place the proxy's move holds: (modem id, port), both null when none. */
    private Row held(long proxyId) {
        return one("select move_from_modem_id, move_from_port from proxies where id = $1", Tuple.of(proxyId));
    }

    private io.restassured.specification.RequestSpecification reseller() {
        return given().header("Authorization", "Bearer " + InternalTokens.fleet().reseller(reseller));
    }

    private Row one(String sql, Tuple args) {
        return pool.preparedQuery(sql).execute(args).await().atMost(WAIT).iterator().next();
    }

    private void run(String sql, Tuple args) {
        pool.preparedQuery(sql).execute(args).await().atMost(WAIT);
    }
}
