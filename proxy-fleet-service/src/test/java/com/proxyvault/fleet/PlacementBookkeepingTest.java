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
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The placement bookkeeping of fleet migration V16 (docs/fleet.md "Placement cost"): each modem's count of live
 * proxies ({@code modems.live_proxies}, the order placement walks modems in) and each agent's free ports below
 * its highest live port ({@code free_ports}, where placement takes the lowest free port) stay equal to a recount
 * from {@code proxies} through every way a proxy becomes live, stops being live or moves, each taken by its real
 * path: placement (order.paid), activation and refusal (the agent's answer), expiry, disconnect and
 * connect (the reseller API and the agent's answer), a move in flight (the place it leaves stays held, V24), a
 * refused move (its revert), offline marking (the liveness
 * sweep), the Hello that revives the proxies and changes the port range, and deletion. After each step the counts
 * are compared with a recount, and each placement's port with the lowest free port found by trying every port of
 * the range. Expiry is the one step taken by the row change its job makes rather than by the job (see there); the
 * triggers see only rows, whoever writes them.
 *
 * <p>Its own agent ({@code agent-o}) and location ({@code BKT}), removed after the test, so no other test's
 * modems take part.
 */
@QuarkusTest
class PlacementBookkeepingTest {

    private static final int GRPC_PORT = 19091;
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String AGENT = "agent-o";
    private static final String TOKEN = "token-o";
    private static final String LOCATION = "BKT";
    private static final AtomicLong IDS = new AtomicLong(System.nanoTime() % 1_000_000 * 1000 + 800_000_000L);

    @Inject
    Pool pool;
    @Inject
    OrderPaidListener listener;
    @Inject
    ObjectMapper mapper;

    private final long reseller = IDS.incrementAndGet();

    @BeforeEach
    void locationOfItsOwn() {
        removeFleet();
        run("insert into locations (id, name, is_5g) values ($1, 'Bookkeeping test', false)", Tuple.of(LOCATION));
    }

    /** The agent's rows, the rows referring to them first (its free_ports go with the agent), then the location. */
    @AfterEach
    void removeFleet() {
        for (String sql : List.of("delete from proxies where agent_id = $1", "delete from modems where agent_id = $1",
                "delete from agents where id = $1")) {
            run(sql, Tuple.of(AGENT));
        }
        run("delete from locations where id = $1", Tuple.of(LOCATION));
    }

    @Test
    void shouldKeepSlotCountsAndFreePortsEqualToARecountThroughEveryLifecycleStep() throws Throwable {
        long a;
        long c;
        long d;
        long e;
        try (TestAgent agent = new TestAgent(GRPC_PORT)) {
            agent.hello(AGENT, TOKEN, 32000, 32009, "o", LOCATION, LOCATION, LOCATION);
            assertTrue(agent.next(WAIT).hasWelcome());
            run("update modems set capacity = 2 where agent_id = $1", Tuple.of(AGENT));
            assertBookkeeping("registered");

            // Placement and activation; a refusal fails the proxy and gives its slot and port back at once.
            a = placeAndAnswer(agent, true, "o0", 32000);
            long b = placeAndAnswer(agent, false, "o1", 32001);
            awaitStatus(b, "failed");
            assertBookkeeping("refused");
            c = placeAndAnswer(agent, true, "o1", 32001); // o1 is empty again, and 32001 the lowest free port
            d = placeAndAnswer(agent, true, "o2", 32002);
            e = placeAndAnswer(agent, true, "o0", 32003);
            assertBookkeeping("placed");

            // Expiry: the row change ExpiryJob makes, without the job. Its proxy.expired would go to the test run's
            // topic, where ProvisioningFlowTest counts every proxy.expired as its own.
            run("update proxies set status = 'expired', updated_at = now() at time zone 'utc' where id = $1", Tuple.of(a));
            assertBookkeeping("expired");

            // Disconnect frees the slot and the port; connect takes the least-loaded modem (o1: its one proxy is
            // the disconnected one) and the lowest free port (the expired one's).
            CompletableFuture<Response> disconnect = CompletableFuture.supplyAsync(() -> reseller().post(proxy(c) + "/disconnect"));
            agent.answer(agent.next(WAIT), true, "");
            assertEquals(200, disconnect.get().statusCode());
            assertBookkeeping("disconnected");
            int lowest = lowestFreePort();
            CompletableFuture<Response> connect = CompletableFuture.supplyAsync(() -> reseller().contentType("application/json")
                    .body("{\"location_id\":\"" + LOCATION + "\"}").post(proxy(c) + "/connect"));
            FleetMessage reopen = agent.next(WAIT);
            assertEquals(lowest, reopen.getProvisionProxy().getPort());
            agent.answer(reopen, true, "");
            assertEquals(200, connect.get().statusCode());
            assertEquals(AGENT + "/o1", modemOf(c));
            assertBookkeeping("connected");

            // A move the agent refuses: the proxy goes to another modem and port, then back. While the move waits for
            // the agent, the place it left stays booked (V24; static review, stop 27, finding 5): o2, at capacity 1
            // now, has no slot for another purchase, and d's old port is not free, so a purchase meanwhile goes to o1
            // and the port above every held one (before: o2 and port 32002, which the agent still served as d); the
            // revert then fits on o2 again.
            run("update modems set capacity = 1 where id = $1", Tuple.of(AGENT + "/o2"));
            CompletableFuture<Response> move = CompletableFuture.supplyAsync(() -> reseller().contentType("application/json")
                    .body("{\"location_id\":\"" + LOCATION + "\"}").post(proxy(d) + "/connect"));
            FleetMessage moving = agent.next(WAIT);
            assertEquals(32001, moving.getProvisionProxy().getPort());
            assertEquals(AGENT + "/o0", modemOf(d));
            assertBookkeeping("moving");
            long f = placeAndAnswer(agent, true, "o1", 32004);
            agent.answer(moving, false, "modem busy");
            assertEquals(503, move.get().statusCode());
            assertEquals(AGENT + "/o2", modemOf(d));
            assertBookkeeping("moved and back");
            run("update proxies set status = 'expired', updated_at = now() at time zone 'utc' where id = $1", Tuple.of(f));
            run("update modems set capacity = 2 where id = $1", Tuple.of(AGENT + "/o2"));
            assertBookkeeping("the purchase made meanwhile expired");

            // Silent past the heartbeat timeout: the sweep marks its proxies offline (they keep slot and port, V22).
            run("update agents set last_seen_at = last_seen_at - interval '1 hour' where id = $1", Tuple.of(AGENT));
            for (long id : new long[] {c, d, e}) {
                awaitStatus(id, "offline");
            }
            assertBookkeeping("offline");
        }

        // the old stream's end is recorded before the new Hello, or it could mark the new one's agent disconnected
        await().atMost(WAIT).until(() -> !one("select connected from agents where id = $1", Tuple.of(AGENT)).getBoolean(0));

        // Back with a port range moved up by one: the Hello's one statement revives the proxies on their old ports,
        // but c's is now below the range, where the agent would refuse it: c is disconnected (new-user review 5,
        // finding 2), and the agent's free ports are computed again for the new range.
        try (TestAgent agent = new TestAgent(GRPC_PORT)) {
            agent.hello(AGENT, TOKEN, 32001, 32010, "o", LOCATION, LOCATION, LOCATION);
            assertTrue(agent.next(WAIT).hasWelcome());
            Set<Long> reopened = new HashSet<>();
            for (int i = 0; i < 2; i++) { // the reconciler opens the revived proxies again
                FleetMessage again = agent.next(WAIT);
                reopened.add(again.getProvisionProxy().getProxyId());
                agent.answer(again, true, "");
            }
            assertEquals(Set.of(d, e), reopened);
            awaitStatus(c, "disconnected");
            assertBookkeeping("revived in a new range");
            placeAndAnswer(agent, true, "o1", 32001); // c left o1 empty; 32000 is outside the range now
            assertBookkeeping("placed in the new range");
        }

        run("delete from proxies where agent_id = $1", Tuple.of(AGENT));
        assertBookkeeping("deleted");
    }

    /**
     * A paid order for the test's location through the consumer's own entry point, then the agent's answer to its
     * ProvisionProxy; checks the proxy went to {@code modem} (the least-loaded, ties by id) and to the lowest free
     * port, which must be {@code port}. Returns the proxy id.
     */
    private long placeAndAnswer(TestAgent agent, boolean ok, String modem, int port) throws Throwable {
        int lowest = lowestFreePort();
        long order = IDS.incrementAndGet();
        String paid = EventJson.write(mapper, EventEnvelope.of(EventTypes.ORDER_PAID, reseller, new OrderPaid(order, 1, 1,
                "Bookkeeping test", "1 Day", new BigDecimal("10.00"), "day", 1, LocalDateTime.now(), null, LOCATION)));
        VertxContextSupport.subscribeAndAwait(() -> listener.onOrderPaid(paid));
        FleetMessage provision = agent.next(WAIT);
        assertTrue(provision.hasProvisionProxy(), provision.toString());
        long proxyId = provision.getProvisionProxy().getProxyId();
        assertEquals(lowest, provision.getProvisionProxy().getPort(), "the lowest free port");
        assertEquals(port, provision.getProvisionProxy().getPort());
        assertEquals(AGENT + "/" + modem, modemOf(proxyId), "the least-loaded modem");
        agent.answer(provision, ok, ok ? "" : "port in use");
        if (ok) {
            awaitStatus(proxyId, "active");
        }
        return proxyId;
    }

    /**
     * The maintained state equals a recount: every modem's live_proxies its held places, no free_ports row on a
     * held port, and every free port of the range below the highest held port in free_ports. A place is held by a
     * provisioning, active or offline proxy, and by a connect's move for the place it leaves (V24). Recounted here
     * from the rows, not with the migration's own functions. One statement, one snapshot.
     */
    private void assertBookkeeping(String step) {
        Row row = one("""
                with held as (select p.modem_id, p.agent_id, p.port from proxies p
                              where p.status in ('provisioning', 'active', 'offline')
                              union all
                              select p.move_from_modem_id, p.move_from_agent_id, p.move_from_port from proxies p
                              where p.move_from_modem_id is not null)
                select (select count(*) from modems m where m.agent_id = $1 and m.live_proxies <>
                            (select count(*) from held h where h.modem_id = m.id)),
                       (select count(*) from free_ports f where f.agent_id = $1 and exists (
                            select 1 from held h where h.agent_id = f.agent_id and h.port = f.port)),
                       (select count(*) from agents a
                        cross join lateral generate_series(a.port_range_start,
                            (select max(h.port) from held h where h.agent_id = a.id
                                and h.port between a.port_range_start and a.port_range_end) - 1) as s(port)
                        where a.id = $1
                          and not exists (select 1 from held h where h.agent_id = a.id and h.port = s.port)
                          and not exists (select 1 from free_ports f where f.agent_id = a.id and f.port = s.port))""",
                Tuple.of(AGENT));
        assertEquals(0L, row.getLong(0), step + ": modems whose live_proxies differ from a recount");
        assertEquals(0L, row.getLong(1), step + ": free_ports rows on a live port");
        assertEquals(0L, row.getLong(2), step + ": free ports below the highest live port missing from free_ports");
    }

    /**
     * The agent's lowest free port, by trying every port of its range (what placement did before V16): held by no
     * proxy and by no move (V24).
     */
    private int lowestFreePort() {
        return one("""
                select min(s.port) from agents a cross join lateral generate_series(a.port_range_start, a.port_range_end) as s(port)
                where a.id = $1 and not exists (select 1 from proxies p where p.agent_id = a.id and p.port = s.port
                                                                         and p.status in ('provisioning', 'active', 'offline'))
                  and not exists (select 1 from proxies p where p.move_from_agent_id = a.id and p.move_from_port = s.port)""",
                Tuple.of(AGENT)).getInteger(0);
    }

    private String modemOf(long proxyId) {
        return one("select modem_id from proxies where id = $1", Tuple.of(proxyId)).getString(0);
    }

    private void awaitStatus(long proxyId, String status) {
        await().atMost(WAIT).until(() -> status.equals(one("select status from proxies where id = $1", Tuple.of(proxyId))
                .getString(0)));
    }

    private io.restassured.specification.RequestSpecification reseller() {
        return given().header("Authorization", "Bearer " + InternalTokens.fleet().reseller(reseller));
    }

    private static String proxy(long id) {
        return "/v1/reseller/proxies/" + id;
    }

    private Row one(String sql, Tuple args) {
        return pool.preparedQuery(sql).execute(args).await().atMost(WAIT).iterator().next();
    }

    private void run(String sql, Tuple args) {
        pool.preparedQuery(sql).execute(args).await().atMost(WAIT);
    }
}
