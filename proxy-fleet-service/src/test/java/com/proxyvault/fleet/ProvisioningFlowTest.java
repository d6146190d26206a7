package com.proxyvault.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.proxyvault.platform.auth.InternalTokens;
import com.proxyvault.contracts.agent.v1.CommandResult;
import com.proxyvault.contracts.agent.v1.Fingerprint;
import com.proxyvault.contracts.agent.v1.FleetMessage;
import com.proxyvault.contracts.agent.v1.SetFingerprint;
import com.proxyvault.contracts.events.EventEnvelope;
import com.proxyvault.contracts.events.EventJson;
import com.proxyvault.contracts.events.EventSchemas;
import com.proxyvault.contracts.events.EventTypes;
import com.proxyvault.contracts.events.OrderPaid;
import io.grpc.Status;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.vertx.VertxContextSupport;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.hibernate.reactive.mutiny.Mutiny;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fleet against real PostgreSQL, real Kafka and a real gRPC stream: order.paid in, commands to the
 * agent, proxy.provisioned / proxy.provision_failed / proxy.expired out.
 */
@QuarkusTest
class ProvisioningFlowTest {

    private static final int GRPC_PORT = 19091;
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final AtomicLong IDS = new AtomicLong(System.nanoTime() % 1_000_000 * 1000);

    @ConfigProperty(name = "proxyvault.topic-prefix")
    String topicPrefix;
    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;
    @Inject
    Mutiny.SessionFactory sessionFactory;
    @Inject
    io.micrometer.core.instrument.MeterRegistry meters;
    @Inject
    com.proxyvault.fleet.agents.FleetStart fleetStart;
    @Inject
    com.proxyvault.fleet.agents.AgentStore agentStore;
    @Inject
    io.vertx.mutiny.sqlclient.Pool pool;
    @Inject
    TestClock clock;
    @Inject
    com.proxyvault.fleet.agents.AgentLiveness liveness;

    private final ObjectMapper mapper = new ObjectMapper().registerModule(new JavaTimeModule());
    private KafkaConsumer<String, String> events;
    private final List<JsonNode> seen = new ArrayList<>();

    @BeforeEach
    void listen() {
        events = new KafkaConsumer<>(Map.of("bootstrap.servers", bootstrap, "group.id", "fleet-test-" + UUID.randomUUID(),
                "auto.offset.reset", "earliest"), new StringDeserializer(), new StringDeserializer());
        events.subscribe(List.of(topicPrefix + EventTypes.PROXY_PROVISIONING, topicPrefix + EventTypes.PROXY_PROVISIONED, topicPrefix + EventTypes.PROXY_PROVISION_FAILED,
                topicPrefix + EventTypes.PROXY_EXPIRED, topicPrefix + EventTypes.PROXY_IP_ROTATED,
                topicPrefix + EventTypes.PROXY_OFFLINE, topicPrefix + EventTypes.PROXY_ONLINE));
    }

    @AfterEach
    void stop() {
        events.close();
    }

    @Test
    void shouldRefuseAnAgentWithAWrongToken() throws Exception {
        try (TestAgent agent = new TestAgent(GRPC_PORT)) {
            agent.hello("agent-local-1", "wrong-token", 21000, 21010, "x", "LAX");
            await().atMost(WAIT).until(() -> agent.streamError.get() != null);
            assertEquals(Status.Code.UNAUTHENTICATED, Status.fromThrowable(agent.streamError.get()).getCode());
        }
    }

    @Test
    void shouldProvisionExpireAndRefuseWhenFull() throws Throwable {
        try (TestAgent agent = new TestAgent(GRPC_PORT)) {
            agent.hello("agent-a", "token-a", 21000, 21010, "a", "LAX", "NYC");
            assertTrue(agent.next(WAIT).hasWelcome());
            long reseller = IDS.incrementAndGet();

            // 1. A paid order becomes a ProvisionProxy command; the agent's ok makes it active.
            long firstOrder = IDS.incrementAndGet();
            orderPaid(reseller, firstOrder, "hour");
            FleetMessage provision = agent.next(WAIT);
            assertTrue(provision.hasProvisionProxy(), provision.toString());
            int port = provision.getProvisionProxy().getPort();
            assertTrue(port >= 21000 && port <= 21010);
            agent.answer(provision, true, "");
            JsonNode provisioning = awaitEvent(EventTypes.PROXY_PROVISIONING, firstOrder);
            assertEquals(provision.getProvisionProxy().getProxyId(), provisioning.get("data").get("proxy_id").asLong());
            JsonNode provisioned = awaitEvent(EventTypes.PROXY_PROVISIONED, firstOrder);
            assertEquals(reseller, provisioned.get("reseller_id").asLong());
            JsonNode data = provisioned.get("data");
            assertEquals(provision.getProvisionProxy().getUsername(), data.get("username").asText());
            assertEquals(provision.getProvisionProxy().getPassword(), data.get("password").asText());
            assertEquals(port, data.get("port").asInt());
            long proxyId = data.get("proxy_id").asLong();

            String token = "Bearer " + InternalTokens.fleet().reseller(reseller);
            given().header("Authorization", token).get("/v1/reseller/proxies")
                    .then().statusCode(200)
                    .body("proxies", hasSize(1))
                    .body("proxies[0].id", equalTo((int) proxyId))
                    .body("proxies[0].ip", equalTo("127.0.0.1"))
                    .body("proxies[0].port", equalTo(port))
                    .body("proxies[0].username", equalTo(data.get("username").asText()))
                    .body("proxies[0].password", equalTo(data.get("password").asText()))
                    .body("proxies[0].status", equalTo("active"))
                    .body("proxies[0].location_id", notNullValue())
                    .body("proxies[0].expires_at", equalTo(data.get("expires_at").asText()));
            given().header("Authorization", token).get("/v1/reseller/proxies/" + proxyId + "/locations")
                    .then().statusCode(200).body("locations", hasSize(3))
                    .body("locations.find { it.id == 'LAX' }.name", equalTo("Los Angeles"))
                    .body("locations.find { it.id == 'LAX' }.is_5g", equalTo(false))
                    // the agent's LAX modem serves this proxy; its NYC modem is free; no other agent is connected
                    .body("locations.find { it.id == 'LAX' }.available", equalTo(0))
                    .body("locations.find { it.id == 'NYC' }.available", equalTo(1));
            given().header("Authorization", "Bearer " + InternalTokens.fleet().reseller(reseller + 1))
                    .get("/v1/reseller/proxies/" + proxyId).then().statusCode(404).body("detail", equalTo("Proxy not found"));

            // 2. The agent refusing a proxy fails the order (billing refunds on this event).
            long refusedOrder = IDS.incrementAndGet();
            orderPaid(reseller, refusedOrder, "day");
            FleetMessage second = agent.next(WAIT);
            agent.answer(second, false, "port in use");
            JsonNode failed = awaitEvent(EventTypes.PROXY_PROVISION_FAILED, refusedOrder);
            assertTrue(failed.get("data").get("reason").asText().contains("port in use"));

            // 3. Two modems of capacity one: an order for LAX (taken) fails, one for PAR (no such place) too,
            // one for NYC fills the fleet, and then any order fails.
            long laxOrder = IDS.incrementAndGet();
            orderPaid(reseller, laxOrder, "day", "LAX");
            assertEquals("No free modem available in LAX", awaitEvent(EventTypes.PROXY_PROVISION_FAILED, laxOrder).get("data").get("reason").asText());
            long parisOrder = IDS.incrementAndGet();
            orderPaid(reseller, parisOrder, "day", "PAR");
            assertEquals("Unknown location PAR", awaitEvent(EventTypes.PROXY_PROVISION_FAILED, parisOrder).get("data").get("reason").asText());
            long secondOrder = IDS.incrementAndGet();
            orderPaid(reseller, secondOrder, "day", "NYC");
            FleetMessage third = agent.next(WAIT);
            assertTrue(third.getProvisionProxy().getPort() != port, "a live port is never handed out twice");
            agent.answer(third, true, "");
            assertEquals("NYC", awaitEvent(EventTypes.PROXY_PROVISIONED, secondOrder).get("data").get("location_id").asText());
            long overflowOrder = IDS.incrementAndGet();
            orderPaid(reseller, overflowOrder, "day");
            assertEquals("No free modem available", awaitEvent(EventTypes.PROXY_PROVISION_FAILED, overflowOrder).get("data").get("reason").asText());

            // 4. At expires_at the proxy expires once and the agent is told to close the port.
            VertxContextSupport.subscribeAndAwait(() -> sessionFactory.withTransaction(s -> s.createNativeQuery(
                    "update proxies set expires_at = :past where id = :id").setParameter("past", LocalDateTime.now().minusYears(1))
                    .setParameter("id", proxyId).executeUpdate()));
            FleetMessage release = agent.next(WAIT);
            assertTrue(release.hasReleaseProxy(), release.toString());
            assertEquals(port, release.getReleaseProxy().getPort());
            JsonNode expired = awaitEvent(EventTypes.PROXY_EXPIRED, firstOrder);
            assertEquals(proxyId, expired.get("data").get("proxy_id").asLong());
            given().header("Authorization", token).get("/v1/reseller/proxies").then().body("proxies", hasSize(1));
            // its port went back to the agent's free ports: no port, no modem fields; the credentials as they were
            given().header("Authorization", token).get("/v1/reseller/proxies/" + proxyId).then().statusCode(200)
                    .body("status", equalTo("expired"))
                    .body("$", hasKey("port")).body("port", nullValue())
                    .body("$", hasKey("exit_ip")).body("exit_ip", nullValue())
                    .body("rotation", nullValue())
                    .body("ip", equalTo("127.0.0.1"))
                    .body("username", equalTo(data.get("username").asText()))
                    .body("password", equalTo(data.get("password").asText()));
            assertEquals(1, seen.stream().filter(e -> e.get("type").asText().equals(EventTypes.PROXY_EXPIRED)).count());
        }
    }

    @Test
    void shouldPlaceAPaidOrderOnceWhateverKafkaRedelivers() throws Throwable {
        try (TestAgent agent = new TestAgent(GRPC_PORT)) {
            agent.hello("agent-m", "token-m", 29500, 29510, "m", "MIA", "LAX");
            assertTrue(agent.next(WAIT).hasWelcome());
            long reseller = IDS.incrementAndGet();
            long order = IDS.incrementAndGet();
            String paid = orderPaidJson(reseller, order, "hour", null);
            sendOrderPaid(reseller, paid);
            sendOrderPaid(reseller, paid); // the same message again (the inbox row of place_paid_order)
            sendOrderPaid(reseller, orderPaidJson(reseller, order, "hour", null)); // re-sent with a new event id
            // one partition per reseller: once the next order's proxy is announced, all three were consumed
            long next = IDS.incrementAndGet();
            orderPaid(reseller, next, "hour");
            JsonNode provisioning = awaitEvent(EventTypes.PROXY_PROVISIONING, order);
            awaitEvent(EventTypes.PROXY_PROVISIONING, next);

            assertEquals(1, seen.stream().filter(e -> e.get("type").asText().equals(EventTypes.PROXY_PROVISIONING)
                    && e.get("data").get("order_id").asLong() == order).count(), "one proxy.provisioning for the order");
            long proxies = VertxContextSupport.subscribeAndAwait(() -> sessionFactory.withSession(s -> s.createNativeQuery(
                    "select count(*) from proxies where order_id = :order", Long.class).setParameter("order", order).getSingleResult()));
            assertEquals(1L, proxies, "one proxy for the order");
            // the event carries the proxy's id and its modem's location, filled in by the database function
            long proxyId = provisioning.get("data").get("proxy_id").asLong();
            String location = VertxContextSupport.subscribeAndAwait(() -> sessionFactory.withSession(s -> s.createNativeQuery(
                    "select location_id from proxies where id = :id", String.class).setParameter("id", proxyId).getSingleResult()));
            assertEquals(location, provisioning.get("data").get("location_id").asText());
        }
    }

    /**
     * Many purchases in a row, each placed once on its own modem and port, and each claimed for dispatch by the
     * placement itself (this replica holds the agent's stream): {@code command_sent_at} is the insert's own time, not
     * a later claim's (docs/fleet.md "Cost per purchase"). One placed while the agent counts as another replica's is
     * left to the dispatch of the holder, as before. With {@code -Dproxyvault.measure.transactions=true} it
     * also prints the fleet database's transactions per purchase ({@code pg_stat_database}: commits + rollbacks over
     * the purchases and their events, less the idle rate measured just before; no assertion on it).
     */
    @Test
    void shouldPlaceEachOfManyPurchasesOnceAndClaimItInThePlacement() throws Throwable {
        int n = 30;
        boolean measure = Boolean.getBoolean("proxyvault.measure.transactions");
        try (TestAgent agent = new TestAgent(GRPC_PORT)) {
            String[] locations = new String[n + 1];
            java.util.Arrays.fill(locations, "LAX");
            agent.hello("agent-q", "token-q", 30200, 30200 + n, "q", locations);
            assertTrue(agent.next(WAIT).hasWelcome());
            long reseller = IDS.incrementAndGet();

            // Placed while the database says another (live) replica holds the agent: not claimed by the placement, but
            // by the dispatch of the replica that holds it once it does (here: after the agent's next heartbeat).
            db(() -> sessionFactory.withTransaction(s -> s.createNativeQuery("""
                            insert into fleet_replicas (id, url, lease_until) values ('fleet-elsewhere', 'http://127.0.0.1:1', :until)
                            on conflict (id) do update set lease_until = excluded.lease_until""")
                    .setParameter("until", LocalDateTime.now(java.time.ZoneOffset.UTC).plusHours(1)).executeUpdate()
                    .chain(() -> s.createNativeQuery("update agents set replica_id = 'fleet-elsewhere' where id = 'agent-q'")
                            .executeUpdate())));
            long elsewhere = IDS.incrementAndGet();
            orderPaid(reseller, elsewhere, "day");
            long unclaimed = awaitEvent(EventTypes.PROXY_PROVISIONING, elsewhere).get("data").get("proxy_id").asLong();
            assertEquals(0L, (long) db(() -> sessionFactory.withSession(s -> s.createNativeQuery(
                    "select count(*) from proxies where id = :id and command_sent_at is not null", Long.class)
                    .setParameter("id", unclaimed).getSingleResult())), "not claimed for another replica's agent");
            agent.heartbeat(); // the batch claims the agent for this replica again
            FleetMessage late = agent.next(WAIT);
            assertEquals(unclaimed, late.getProvisionProxy().getProxyId());
            agent.answer(late, true, "");
            awaitEvent(EventTypes.PROXY_PROVISIONED, elsewhere);
            db(() -> sessionFactory.withTransaction(s -> s.createNativeQuery(
                    "delete from fleet_replicas where id = 'fleet-elsewhere'").executeUpdate()));

            long[] orders = new long[n];
            for (int i = 0; i < n; i++) {
                orders[i] = IDS.incrementAndGet();
            }

            long[] idle = measure ? transactions() : null;
            if (measure) {
                Thread.sleep(10_000); // the idle rate: sweeps, leases, the outbox's safety net
            }
            long[] start = measure ? transactions() : null;
            try (var producer = new KafkaProducer<String, String>(Map.of("bootstrap.servers", bootstrap),
                    new StringSerializer(), new StringSerializer())) {
                for (long order : orders) {
                    producer.send(new ProducerRecord<>(topicPrefix + EventTypes.ORDER_PAID, String.valueOf(reseller),
                            orderPaidJson(reseller, order, "day", null)));
                }
            }
            java.util.Set<Integer> ports = new java.util.HashSet<>();
            for (int i = 0; i < n; i++) {
                FleetMessage provision = agent.next(WAIT);
                assertTrue(provision.hasProvisionProxy(), provision.toString());
                assertTrue(ports.add(provision.getProvisionProxy().getPort()), "a port handed out twice: " + provision);
                agent.answer(provision, true, "");
            }
            for (long order : orders) {
                awaitEvent(EventTypes.PROXY_PROVISIONED, order);
            }
            if (measure) {
                Thread.sleep(11_000); // the last marks committed, and every backend's statistics flushed (at most 10 s idle)
                long[] end = transactions();
                double idlePerNano = (double) (start[0] - idle[0]) / (start[1] - idle[1]);
                double work = (end[0] - start[0]) - idlePerNano * (end[1] - start[1]);
                System.out.printf("[fleet-transactions] %d purchases: %d transactions in %.1f s, idle %.2f/s, %.2f per purchase"
                                + " above idle%n", n, end[0] - start[0], (end[1] - start[1]) / 1e9, idlePerNano * 1e9, work / n);
            }

            List<Object[]> placed = db(() -> sessionFactory.withSession(s -> s.createNativeQuery(
                            "select order_id, created_at, command_sent_at from proxies where agent_id = 'agent-q' and status = 'active'",
                            Object[].class).getResultList()));
            assertEquals(n + 1, placed.size(), "one proxy per order");
            for (Object[] row : placed.stream().filter(r -> ((Number) r[0]).longValue() != elsewhere).toList()) {
                assertEquals(row[1], row[2], "proxy of order " + row[0] + " claimed by its placement");
            }
            assertEquals(n, seen.stream().filter(e -> e.get("type").asText().equals(EventTypes.PROXY_PROVISIONED)
                    && java.util.Arrays.stream(orders).anyMatch(o -> o == e.get("data").get("order_id").asLong())).count());
        }
    }

    /** The fleet database's committed and rolled-back transactions so far, and when read ({@code System.nanoTime()}). */
    private long[] transactions() {
        long count = db(() -> sessionFactory.withSession(s -> s.createNativeQuery(
                "select xact_commit + xact_rollback from pg_stat_database where datname = current_database()", Long.class)
                .getSingleResult()));
        return new long[] {count, System.nanoTime()};
    }

    @Test
    void shouldActivateAProxyWhoseRowChangedWhileItsAgentOpenedIt() throws Throwable {
        try (TestAgent agent = new TestAgent(GRPC_PORT)) {
            agent.hello("agent-n", "token-n", 29600, 29610, "n", "MIA");
            assertTrue(agent.next(WAIT).hasWelcome());
            long reseller = IDS.incrementAndGet();
            long order = IDS.incrementAndGet();
            orderPaid(reseller, order, "hour");
            FleetMessage provision = agent.next(WAIT);
            long proxyId = provision.getProvisionProxy().getProxyId();
            // renamed after the claim read it: the one-statement activation from the claimed row finds the row
            // changed and writes nothing; the locked re-read activates it, and the event carries the new name
            VertxContextSupport.subscribeAndAwait(() -> sessionFactory.withTransaction(s -> s.createNativeQuery(
                            "update proxies set name = 'renamed meanwhile', updated_at = updated_at + interval '1 millisecond' where id = :id")
                    .setParameter("id", proxyId).executeUpdate()));
            agent.answer(provision, true, "");

            JsonNode provisioned = awaitEvent(EventTypes.PROXY_PROVISIONED, order);
            assertEquals("renamed meanwhile", provisioned.get("data").get("name").asText());
            assertEquals("active", provisioned.get("data").get("status").asText());
            String token = "Bearer " + InternalTokens.fleet().reseller(reseller);
            given().header("Authorization", token).get("/v1/reseller/proxies/" + proxyId).then().statusCode(200)
                    .body("status", equalTo("active"))
                    .body("expires_at", equalTo(provisioned.get("data").get("expires_at").asText()));
            assertEquals(1, seen.stream().filter(e -> e.get("type").asText().equals(EventTypes.PROXY_PROVISIONED)
                    && e.get("data").get("order_id").asLong() == order).count(), "one proxy.provisioned");
        }
    }

    @Test
    void shouldFailAProxyTheAgentNeverConfirms() throws Exception {
        try (TestAgent agent = new TestAgent(GRPC_PORT)) {
            agent.hello("agent-b", "token-b", 22000, 22010, "b", "MIA");
            assertTrue(agent.next(WAIT).hasWelcome());
            long reseller = IDS.incrementAndGet();
            long order = IDS.incrementAndGet();
            orderPaid(reseller, order, "hour");
            FleetMessage provision = agent.next(WAIT);
            assertTrue(provision.hasProvisionProxy());
            // no answer: the provision timeout (5 s in tests) fails it
            JsonNode failed = awaitEvent(EventTypes.PROXY_PROVISION_FAILED, order);
            assertTrue(failed.get("data").get("reason").asText().contains("did not confirm"));

            // The port was never opened for it and went back to the agent: no port and no modem fields, every field
            // still present (new-user review: a failed proxy showed port, credentials and exit IP like a usable one).
            String token = "Bearer " + InternalTokens.fleet().reseller(reseller);
            given().header("Authorization", token).get("/v1/reseller/proxies/" + provision.getProvisionProxy().getProxyId())
                    .then().statusCode(200)
                    .body("status", equalTo("failed"))
                    .body("$", hasKey("port")).body("port", nullValue())
                    .body("$", hasKey("exit_ip")).body("exit_ip", nullValue())
                    .body("$", hasKey("rotation")).body("rotation", nullValue())
                    .body("username", equalTo(provision.getProvisionProxy().getUsername()))
                    .body("password", equalTo(provision.getProvisionProxy().getPassword()));
        }
    }

    @Test
    void shouldResetChangeFingerprintDisconnectAndConnectAProxy() throws Throwable {
        try (TestAgent agent = new TestAgent(GRPC_PORT)) {
            agent.hello("agent-c", "token-c", 23000, 23010, "c", "LAX", "NYC");
            assertTrue(agent.next(WAIT).hasWelcome());
            long reseller = IDS.incrementAndGet();
            long order = IDS.incrementAndGet();
            orderPaid(reseller, order, "day");
            FleetMessage provision = agent.next(WAIT);
            agent.answer(provision, true, "");
            long proxyId = awaitEvent(EventTypes.PROXY_PROVISIONED, order).get("data").get("proxy_id").asLong();
            String token = "Bearer " + InternalTokens.fleet().reseller(reseller);
            String base = "/v1/reseller/proxies/" + proxyId;

            // Bad input never reaches the agent.
            given().header("Authorization", token).contentType("application/json").body("{\"mode\":\"sideways\"}")
                    .post(base + "/reset").then().statusCode(422).body("detail", org.hamcrest.Matchers.containsString("fast"));
            given().header("Authorization", token).contentType("application/json").body("{\"fingerprint\":\"beos\"}")
                    .post(base + "/fingerprint").then().statusCode(422);
            given().header("Authorization", token).contentType("application/json").body("{\"location_id\":\"PAR\"}")
                    .post(base + "/connect").then().statusCode(422);
            given().header("Authorization", "Bearer " + InternalTokens.fleet().reseller(reseller + 1)).post(base + "/disconnect")
                    .then().statusCode(404);

            // Reset: the modem's answer (its new exit IP) is the HTTP answer.
            var reset = java.util.concurrent.CompletableFuture.supplyAsync(() -> given().header("Authorization", token)
                    .contentType("application/json").body("{\"mode\":\"hard\"}").post(base + "/reset"));
            FleetMessage resetIp = agent.next(WAIT);
            assertTrue(resetIp.hasResetIp(), resetIp.toString());
            assertEquals(com.proxyvault.contracts.agent.v1.ResetMode.RESET_MODE_HARD, resetIp.getResetIp().getMode());
            agent.answerWithExitIp(resetIp, "203.0.113.99");
            reset.get().then().statusCode(200).body("exit_ip", equalTo("203.0.113.99")).body("mode", equalTo("hard"))
                    .body("old_ip", equalTo("203.0.113.10")).body("new_ip", equalTo("203.0.113.99"))
                    .body("applied_mode", equalTo("hard")).body("attempts", equalTo(1));
            JsonNode rotated = awaitEvent(EventTypes.PROXY_IP_ROTATED, order).get("data");
            assertEquals("203.0.113.10", rotated.get("old_ip").asText());
            assertEquals("203.0.113.99", rotated.get("new_ip").asText());
            // Within the cooldowns: 429 with Retry-After, and the modem is not asked.
            given().header("Authorization", token).contentType("application/json").body("{\"mode\":\"fast\"}")
                    .post(base + "/reset").then().statusCode(429).body("code", equalTo("reset_cooldown"))
                    .header("Retry-After", org.hamcrest.Matchers.notNullValue())
                    .body("detail", org.hamcrest.Matchers.startsWith("This proxy's modem was reset moments ago"));
            endFastCooldown(proxyId); // past the fast cooldown, not the hard one (5 min)
            given().header("Authorization", token).contentType("application/json").body("{\"mode\":\"hard\"}")
                    .post(base + "/reset").then().statusCode(429).body("code", equalTo("reset_cooldown"))
                    .body("detail", org.hamcrest.Matchers.startsWith("A hard reset of this proxy's modem is possible again in"));

            // Fingerprint
            var fingerprint = java.util.concurrent.CompletableFuture.supplyAsync(() -> given().header("Authorization", token)
                    .contentType("application/json").body("{\"fingerprint\":\"macos\"}").post(base + "/fingerprint"));
            FleetMessage setFingerprint = agent.next(WAIT);
            assertEquals(com.proxyvault.contracts.agent.v1.Fingerprint.FINGERPRINT_MACOS, setFingerprint.getSetFingerprint().getFingerprint());
            agent.answer(setFingerprint, true, "");
            fingerprint.get().then().statusCode(200).body("fingerprint", equalTo("macos"));
            given().header("Authorization", token).get(base).then().body("fingerprint", equalTo("macos"));

            // A modem that refuses makes a 503 and changes nothing.
            endFastCooldown(proxyId);
            var refused = java.util.concurrent.CompletableFuture.supplyAsync(() -> given().header("Authorization", token)
                    .contentType("application/json").body("{\"mode\":\"fast\"}").post(base + "/reset"));
            agent.answer(agent.next(WAIT), false, "modem busy");
            refused.get().then().statusCode(503).body("detail", org.hamcrest.Matchers.containsString("modem busy"));

            // Disconnect closes the port; the proxy stays listed, its period running. The answer waits for the
            // agent: after a 200 the port no longer takes the proxy's credentials.
            var disconnect = java.util.concurrent.CompletableFuture.supplyAsync(() -> given().header("Authorization", token)
                    .post(base + "/disconnect"));
            FleetMessage release = agent.next(WAIT);
            assertEquals(provision.getProvisionProxy().getPort(), release.getReleaseProxy().getPort());
            Thread.sleep(300);
            assertFalse(disconnect.isDone(), "disconnect answered before the agent closed the port");
            agent.answer(release, true, "");
            disconnect.get().then().statusCode(200).body("detail", equalTo("Proxy disconnected"));
            given().header("Authorization", token).get(base).then().body("status", equalTo("disconnected"));
            given().header("Authorization", token).post(base + "/disconnect").then().statusCode(409);
            given().header("Authorization", token).contentType("application/json").body("{\"mode\":\"fast\"}")
                    .post(base + "/reset").then().statusCode(409);

            // Connect back to LAX: a disconnected proxy holds no slot, so its own (only) LAX modem is free.
            var back = java.util.concurrent.CompletableFuture.supplyAsync(() -> given().header("Authorization", token)
                    .contentType("application/json").body("{\"location_id\":\"LAX\"}").post(base + "/connect"));
            FleetMessage reopened = agent.next(WAIT);
            assertTrue(reopened.hasProvisionProxy(), reopened.toString());
            assertTrue(!reopened.getProvisionProxy().getUsername().equals(provision.getProvisionProxy().getUsername()),
                    "connect issues new credentials");
            agent.answer(reopened, true, "");
            back.get().then().statusCode(200).body("location_id", equalTo("LAX"))
                    .body("username", equalTo(reopened.getProvisionProxy().getUsername()));

            // The agent refusing the move to NYC leaves the proxy where it was, credentials and all.
            var refusedMove = java.util.concurrent.CompletableFuture.supplyAsync(() -> given().header("Authorization", token)
                    .contentType("application/json").body("{\"location_id\":\"NYC\"}").post(base + "/connect"));
            agent.answer(agent.next(WAIT), false, "modem offline");
            refusedMove.get().then().statusCode(503);
            given().header("Authorization", token).get(base).then().body("status", equalTo("active"))
                    .body("location_id", equalTo("LAX")).body("port", equalTo(reopened.getProvisionProxy().getPort()))
                    .body("username", equalTo(reopened.getProvisionProxy().getUsername()));

            // Connect to NYC: the new listener is confirmed by the agent before the answer, then the old one closes.
            var connect = java.util.concurrent.CompletableFuture.supplyAsync(() -> given().header("Authorization", token)
                    .contentType("application/json").body("{\"location_id\":\"NYC\"}").post(base + "/connect"));
            FleetMessage reopen = agent.next(WAIT);
            assertTrue(reopen.hasProvisionProxy(), reopen.toString());
            agent.answer(reopen, true, "");
            connect.get().then().statusCode(200)
                    .body("location_id", equalTo("NYC"))
                    .body("ip", equalTo("127.0.0.1"))
                    .body("port", equalTo(reopen.getProvisionProxy().getPort()))
                    .body("username", equalTo(reopen.getProvisionProxy().getUsername()))
                    .body("password", equalTo(reopen.getProvisionProxy().getPassword()));
            // Same agent: it closed the old listener itself when it opened the new one, so no release follows
            // (a release by proxy id would close the new one). The next command the agent sees is the
            // fingerprint below, not a release.
            var after = java.util.concurrent.CompletableFuture.supplyAsync(() -> given().header("Authorization", token)
                    .contentType("application/json").body("{\"fingerprint\":\"linux\"}").post(base + "/fingerprint"));
            FleetMessage next = agent.next(WAIT);
            assertTrue(next.hasSetFingerprint(), "expected no release after a same-agent move, got " + next);
            agent.answer(next, true, "");
            after.get().then().statusCode(200);
            given().header("Authorization", token).get(base).then()
                    .body("status", equalTo("active")).body("location_id", equalTo("NYC"));
        }
    }

    @Test
    void shouldRetryAndEscalateAResetWhoseExitIpDidNotChange() throws Throwable {
        try (TestAgent agent = new TestAgent(GRPC_PORT)) {
            agent.hello("agent-d", "token-d", 25000, 25010, "d", "LAX");
            assertTrue(agent.next(WAIT).hasWelcome());
            long reseller = IDS.incrementAndGet();
            long order = IDS.incrementAndGet();
            orderPaid(reseller, order, "day");
            agent.answer(agent.next(WAIT), true, "");
            long proxyId = awaitEvent(EventTypes.PROXY_PROVISIONED, order).get("data").get("proxy_id").asLong();
            String token = "Bearer " + InternalTokens.fleet().reseller(reseller);
            String reset = "/v1/reseller/proxies/" + proxyId + "/reset";

            // The modem says "done" but keeps 203.0.113.10: fast again, then hard, which changes it.
            var answer = java.util.concurrent.CompletableFuture.supplyAsync(() -> given().header("Authorization", token)
                    .contentType("application/json").body("{\"mode\":\"fast\"}").post(reset));
            FleetMessage first = agent.next(WAIT);
            assertEquals(com.proxyvault.contracts.agent.v1.ResetMode.RESET_MODE_FAST, first.getResetIp().getMode());
            agent.answerWithExitIp(first, "203.0.113.10");
            FleetMessage second = agent.next(WAIT);
            assertEquals(com.proxyvault.contracts.agent.v1.ResetMode.RESET_MODE_FAST, second.getResetIp().getMode());
            agent.answerWithExitIp(second, "");
            FleetMessage third = agent.next(WAIT);
            assertEquals(com.proxyvault.contracts.agent.v1.ResetMode.RESET_MODE_HARD, third.getResetIp().getMode());
            agent.answerWithExitIp(third, "203.0.113.200");
            answer.get().then().statusCode(200).body("mode", equalTo("fast")).body("applied_mode", equalTo("hard"))
                    .body("attempts", equalTo(3)).body("old_ip", equalTo("203.0.113.10")).body("new_ip", equalTo("203.0.113.200"));
            JsonNode rotated = awaitEvent(EventTypes.PROXY_IP_ROTATED, order).get("data");
            assertEquals("hard", rotated.get("mode").asText());
            assertEquals(3, rotated.get("attempts").asInt());

            // Past the fast cooldown but inside the hard one (the escalation used it): a silent modem fails
            // after its fast attempts, 503 rotation_failed, Retry-After = the hard cooldown's rest; IP kept.
            endFastCooldown(proxyId);
            var failing = java.util.concurrent.CompletableFuture.supplyAsync(() -> given().header("Authorization", token)
                    .contentType("application/json").body("{\"mode\":\"fast\"}").post(reset));
            agent.answerWithExitIp(agent.next(WAIT), "203.0.113.200");
            agent.answerWithExitIp(agent.next(WAIT), "203.0.113.200");
            failing.get().then().statusCode(503).body("code", equalTo("rotation_failed"))
                    .header("Retry-After", org.hamcrest.Matchers.notNullValue());
            assertEquals(1, seen.stream().filter(e -> e.get("type").asText().equals(EventTypes.PROXY_IP_ROTATED)
                    && e.get("data").get("order_id").asLong() == order).count());
        }
    }

    /**
     * The end of an agent's older stream, written after its newer stream's Hello (a reconnect to the same replica),
     * leaves the agent connected (fleet migration V26; static review, stop 27, L1: it cleared {@code connected} and
     * {@code replica_id}, and for up to a heartbeat the agent got no commands and placement passed it over). Played by
     * the store's write for a stream id that is not the one the Hello wrote.
     */
    @Test
    void shouldKeepAnAgentConnectedWhenAnOlderStreamsEndIsWrittenAfterItsHello() throws Throwable {
        try (TestAgent agent = new TestAgent(GRPC_PORT)) {
            agent.hello("agent-zs", "token-zs", 31400, 31410, "zs", "LAX");
            assertTrue(agent.next(WAIT).hasWelcome());
            db(() -> agentStore.disconnected("agent-zs", UUID.randomUUID()));
            assertEquals(Boolean.TRUE, db(() -> sessionFactory.withSession(s -> s.createNativeQuery(
                    "select connected and replica_id is not null from agents where id = 'agent-zs'", Boolean.class)
                    .getSingleResult())));
        }
        // its own stream's end still disconnects it
        await().atMost(WAIT).until(() -> !db(() -> sessionFactory.withSession(s -> s.createNativeQuery(
                "select connected from agents where id = 'agent-zs'", Boolean.class).getSingleResult())));
    }

    /**
     * A reset run whose proxy ended between two attempts stops there instead of resetting, again and again, a modem
     * that now serves someone else (static review, stop 27, finding 6): the first attempt left the exit IP as it was,
     * and before the next one the proxy has expired (the row change ExpiryJob makes). The run fails with a detail
     * saying so, as a 409 or, when the machine made the first attempt outlast the sync wait, as the failed
     * {@code rotation} of a 202; no second ResetIp, no {@code proxy.ip_rotated}.
     */
    @Test
    void shouldStopAResetWhoseProxyEndedBetweenTwoAttempts() throws Throwable {
        try (TestAgent agent = new TestAgent(GRPC_PORT)) {
            agent.hello("agent-zr", "token-zr", 31300, 31310, "zr", "LAX");
            long reseller = IDS.incrementAndGet();
            long order = IDS.incrementAndGet();
            long proxyId = provisioned(agent, reseller, order, "LAX");
            String token = "Bearer " + InternalTokens.fleet().reseller(reseller);
            var answer = java.util.concurrent.CompletableFuture.supplyAsync(() -> given().header("Authorization", token)
                    .contentType("application/json").body("{\"mode\":\"fast\"}").post("/v1/reseller/proxies/" + proxyId + "/reset"));
            FleetMessage first = agent.next(WAIT);
            assertTrue(first.hasResetIp(), first.toString());
            db(() -> sessionFactory.withTransaction(s -> s.createNativeQuery(
                    "update proxies set status = 'expired', updated_at = now() at time zone 'utc' where id = :id")
                    .setParameter("id", proxyId).executeUpdate()));
            agent.answerWithExitIp(first, "203.0.113.10"); // unchanged: a run would try again
            var stopped = answer.get();
            String ended = "The proxy ended, moved or went offline while it was being reset";
            if (stopped.statusCode() == 202) {
                await().atMost(WAIT).until(() -> given().header("Authorization", token).get("/v1/reseller/proxies/" + proxyId)
                        .then().extract().path("rotation.status").equals("failed"));
                given().header("Authorization", token).get("/v1/reseller/proxies/" + proxyId).then()
                        .body("rotation.detail", containsString(ended));
            } else {
                stopped.then().statusCode(409).body("detail", containsString(ended));
            }
            FleetMessage next = agent.received.poll();
            assertTrue(next == null || !next.hasResetIp(), "no second reset of the modem: " + next);
            assertEquals(0, seen.stream().filter(e -> e.get("type").asText().equals(EventTypes.PROXY_IP_ROTATED)
                    && e.get("data").get("order_id").asLong() == order).count());
        }
    }

    @Test
    void shouldShowOperatorsTheFleetAndPlaceNothingOnADrainingModem() throws Throwable {
        String operator = "Bearer " + InternalTokens.fleet().operator();
        try (TestAgent agent = new TestAgent(GRPC_PORT)) {
            agent.hello("agent-f", "token-f", 27000, 27010, "f", "LAX", "NYC");
            assertTrue(agent.next(WAIT).hasWelcome());
            given().header("Authorization", operator).get("/internal/agents?connected=true&limit=100").then().statusCode(200)
                    .body("agents.find { it.id == 'agent-f' }.connected", equalTo(true))
                    .body("agents.find { it.id == 'agent-f' }.online", equalTo(true))
                    .body("agents.find { it.id == 'agent-f' }.modems", equalTo(2));
            given().header("Authorization", "Bearer " + InternalTokens.fleet().reseller(1)).get("/internal/modems")
                    .then().statusCode(403);

            given().header("Authorization", operator).post("/internal/agents/agent-f/modems/f0/drain").then().statusCode(200)
                    .body("id", equalTo("agent-f/f0")).body("draining", equalTo(true)).body("location_id", equalTo("LAX"));
            given().header("Authorization", operator).post("/internal/agents/agent-f/modems/nope/drain").then().statusCode(404);
            long reseller = IDS.incrementAndGet();
            long refused = IDS.incrementAndGet();
            orderPaid(reseller, refused, "day", "LAX");
            assertEquals("No free modem available in LAX", awaitEvent(EventTypes.PROXY_PROVISION_FAILED, refused)
                    .get("data").get("reason").asText());

            given().header("Authorization", operator).post("/internal/agents/agent-f/modems/f0/undrain").then().statusCode(200)
                    .body("draining", equalTo(false));
            long placed = IDS.incrementAndGet();
            orderPaid(reseller, placed, "day", "LAX");
            agent.answer(agent.next(WAIT), true, "");
            long proxyId = awaitEvent(EventTypes.PROXY_PROVISIONED, placed).get("data").get("proxy_id").asLong();
            given().header("Authorization", operator).get("/internal/modems?agent_id=agent-f").then().statusCode(200)
                    .body("modems.find { it.id == 'agent-f/f0' }.proxy_ids", equalTo(List.of((int) proxyId)))
                    .body("modems.find { it.id == 'agent-f/f0' }.exit_ip", equalTo("203.0.113.10"))
                    .body("modems.find { it.id == 'agent-f/f1' }.proxy_ids", hasSize(0))
                    .body("modems.find { it.id == 'agent-f/f1' }.online", equalTo(true));

            // Silent for less than the heartbeat timeout (10 min in tests): still online, as its proxies are still active
            // (one notion of a live agent for both: it was a separate 45 s, new-user review, stop 30, M1).
            VertxContextSupport.subscribeAndAwait(() -> sessionFactory.withTransaction(s -> s.createNativeQuery(
                    "update agents set last_seen_at = last_seen_at - interval '5 minutes' where id = 'agent-f'").executeUpdate()));
            given().header("Authorization", operator).get("/internal/modems?agent_id=agent-f").then().statusCode(200)
                    .body("modems.find { it.id == 'agent-f/f1' }.online", equalTo(true));
            // Its agent silent past the liveness window: its modems are not shown online any more.
            VertxContextSupport.subscribeAndAwait(() -> sessionFactory.withTransaction(s -> s.createNativeQuery(
                    "update agents set last_seen_at = last_seen_at - interval '1 hour' where id = 'agent-f'").executeUpdate()));
            given().header("Authorization", operator).get("/internal/modems?agent_id=agent-f").then().statusCode(200)
                    .body("modems.find { it.id == 'agent-f/f1' }.online", equalTo(false));
        }
    }

    @Test
    void shouldMarkTheProxiesOfASilentAgentOfflineAndActiveAgainWhenItReturns() throws Throwable {
        long reseller = IDS.incrementAndGet();
        long order = IDS.incrementAndGet();
        String username;
        long proxyId;
        try (TestAgent agent = new TestAgent(GRPC_PORT)) {
            agent.hello("agent-e", "token-e", 26000, 26010, "e", "MIA");
            assertTrue(agent.next(WAIT).hasWelcome());
            orderPaid(reseller, order, "day");
            FleetMessage provision = agent.next(WAIT);
            agent.answer(provision, true, "");
            JsonNode provisioned = awaitEvent(EventTypes.PROXY_PROVISIONED, order).get("data");
            proxyId = provisioned.get("proxy_id").asLong();
            username = provisioned.get("username").asText();

            // Traffic: running totals per counting start; a new start (listener reopened) adds its whole total.
            String reader = "Bearer " + InternalTokens.fleet().reseller(reseller);
            given().header("Authorization", reader).get("/v1/reseller/proxies/" + proxyId).then()
                    .body("exit_ip", equalTo("203.0.113.10")).body("bytes_in", equalTo(0)).body("bytes_out", equalTo(0));
            long id = proxyId;
            long[][] reports = {{100, 2000, 1, 100, 2000}, {150, 2500, 1, 150, 2500}, {30, 40, 2, 180, 2540}};
            for (long[] report : reports) { // heartbeats come 10 s apart: one at a time, each applied before the next
                agent.heartbeat(proxyId, report[0], report[1], report[2]);
                await().atMost(WAIT).untilAsserted(() -> given().header("Authorization", reader).get("/v1/reseller/proxies/" + id)
                        .then().body("bytes_in", equalTo((int) report[3])).body("bytes_out", equalTo((int) report[4])));
            }

            // The agent goes silent past the heartbeat timeout (10 min in tests): its proxy is offline, once.
            VertxContextSupport.subscribeAndAwait(() -> sessionFactory.withTransaction(s -> s.createNativeQuery(
                    "update agents set last_seen_at = last_seen_at - interval '1 hour' where id = 'agent-e'").executeUpdate()));
            JsonNode offline = awaitEvent(EventTypes.PROXY_OFFLINE, order).get("data");
            assertEquals(proxyId, offline.get("proxy_id").asLong());
        }
        String token = "Bearer " + InternalTokens.fleet().reseller(reseller);
        given().header("Authorization", token).get("/v1/reseller/proxies/" + proxyId).then().statusCode(200)
                .body("status", equalTo("offline"));
        given().header("Authorization", token).get("/v1/reseller/proxies").then().body("proxies", hasSize(1));

        // It comes back: active again with the same credentials, and told to serve the proxy again.
        try (TestAgent agent = new TestAgent(GRPC_PORT)) {
            agent.hello("agent-e", "token-e", 26000, 26010, "e", "MIA");
            assertTrue(agent.next(WAIT).hasWelcome());
            awaitEvent(EventTypes.PROXY_ONLINE, order);
            FleetMessage again = agent.next(WAIT);
            assertTrue(again.hasProvisionProxy(), again.toString());
            assertEquals(username, again.getProvisionProxy().getUsername());
            agent.answer(again, true, "");
            given().header("Authorization", token).get("/v1/reseller/proxies/" + proxyId).then().statusCode(200)
                    .body("status", equalTo("active")).body("username", equalTo(username));
            assertEquals(1, seen.stream().filter(e -> e.get("type").asText().equals(EventTypes.PROXY_OFFLINE)
                    && e.get("data").get("order_id").asLong() == order).count());
        }
    }

    /**
     * What a reseller reads after the proxy moved (docs/fleet.md "What a reseller sees after disconnect and connect"):
     * {@code rotation} describes resets of the modem the proxy is on now (null after a connect until the next reset,
     * the old run back when a refused connect put the proxy back; a connect while a reset runs is 409), and a
     * disconnected proxy shows no port, exit IP or rotation, in the list and by id, the fields still present.
     */
    @Test
    void shouldDescribeOnlyTheModemAndPortAProxyHasNowAfterConnectAndDisconnect() throws Throwable {
        long reseller = IDS.incrementAndGet();
        long order = IDS.incrementAndGet();
        String token = "Bearer " + InternalTokens.fleet().reseller(reseller);
        try (TestAgent agent = new TestAgent(GRPC_PORT)) {
            agent.hello("agent-r", "token-r", 30100, 30110, "r", "LAX", "NYC", "MIA");
            long proxyId = provisioned(agent, reseller, order, "LAX");
            String base = "/v1/reseller/proxies/" + proxyId;

            // reset on the LAX modem: the rotation describes it
            resetTo(agent, token, base, "203.0.113.50");
            given().header("Authorization", token).get(base).then().statusCode(200)
                    .body("exit_ip", equalTo("203.0.113.50")).body("rotation.status", equalTo("rotated"))
                    .body("rotation.new_ip", equalTo("203.0.113.50"));

            // connect to NYC: a modem this proxy never reset, so no rotation (it showed LAX's), NYC's exit IP
            int nycPort = connect(agent, token, base, "NYC", true);
            given().header("Authorization", token).get(base).then().statusCode(200)
                    .body("location_id", equalTo("NYC")).body("port", equalTo(nycPort))
                    .body("exit_ip", equalTo("203.0.113.11")).body("rotation", org.hamcrest.Matchers.nullValue());
            given().header("Authorization", token).get("/v1/reseller/proxies").then().statusCode(200)
                    .body("proxies.find { it.id == " + proxyId + " }.rotation", org.hamcrest.Matchers.nullValue());

            // its next reset is the NYC modem's, and a refused move to MIA leaves it (and the proxy) where it was
            endFastCooldown(proxyId);
            resetTo(agent, token, base, "203.0.113.61");
            connect(agent, token, base, "MIA", false);
            given().header("Authorization", token).get(base).then().statusCode(200)
                    .body("location_id", equalTo("NYC")).body("rotation.old_ip", equalTo("203.0.113.11"))
                    .body("rotation.new_ip", equalTo("203.0.113.61"));

            // no move while a reset runs: its outcome is the modem's it resets
            endFastCooldown(proxyId);
            var running = java.util.concurrent.CompletableFuture.supplyAsync(() -> given().header("Authorization", token)
                    .contentType("application/json").body("{\"mode\":\"fast\"}").post(base + "/reset"));
            FleetMessage resetIp = agent.next(WAIT);
            given().header("Authorization", token).contentType("application/json").body("{\"location_id\":\"MIA\"}")
                    .post(base + "/connect").then().statusCode(409).body("code", equalTo("rotation_in_progress"));
            // nor a disconnect: the run would answer "rotated" for a proxy already released (new-user review)
            given().header("Authorization", token).post(base + "/disconnect").then().statusCode(409)
                    .body("code", equalTo("rotation_in_progress")).body("detail", org.hamcrest.Matchers.endsWith("disconnect once it has finished"));
            agent.answerWithExitIp(resetIp, "203.0.113.62");
            assertTrue(List.of(200, 202).contains(running.get().statusCode()));
            await().atMost(WAIT).untilAsserted(() -> given().header("Authorization", token).get(base).then()
                    .body("rotation.status", equalTo("rotated")).body("rotation.new_ip", equalTo("203.0.113.62")));

            // disconnected: the port is free again (another proxy may get it), the modem too; the fields stay present
            var disconnect = java.util.concurrent.CompletableFuture.supplyAsync(() -> given().header("Authorization", token)
                    .post(base + "/disconnect"));
            FleetMessage release = agent.next(WAIT);
            assertTrue(release.hasReleaseProxy(), release.toString());
            agent.answer(release, true, "");
            disconnect.get().then().statusCode(200);
            for (String path : new String[] {"", "proxies.find { it.id == " + proxyId + " }."}) {
                String url = path.isEmpty() ? base : "/v1/reseller/proxies";
                var shown = given().header("Authorization", token).get(url).then().statusCode(200)
                        .body(path + "status", equalTo("disconnected"))
                        .body(path + "ip", equalTo("127.0.0.1")).body(path + "location_id", equalTo("NYC"))
                        .body(path + "username", equalTo(provisionedUsername(proxyId)))
                        .body(path + "port", org.hamcrest.Matchers.nullValue())
                        .body(path + "exit_ip", org.hamcrest.Matchers.nullValue())
                        .body(path + "rotation", org.hamcrest.Matchers.nullValue());
                JsonNode view = mapper.readTree(shown.extract().asString());
                JsonNode proxy = path.isEmpty() ? view : view.get("proxies").get(0);
                for (String field : new String[] {"port", "exit_ip", "rotation"}) {
                    assertTrue(proxy.has(field) && proxy.get(field).isNull(), field + " present and null: " + proxy);
                }
            }

            // connected again: a port again, and still no rotation on the modem it got (LAX's was never reset by it since)
            int again = connect(agent, token, base, "LAX", true);
            given().header("Authorization", token).get(base).then().statusCode(200)
                    .body("status", equalTo("active")).body("port", equalTo(again)).body("exit_ip", equalTo("203.0.113.50"))
                    .body("rotation", org.hamcrest.Matchers.nullValue());
        }
    }

    /**
     * A connect writes the new placement before its agent confirms it; until then a second connect, a disconnect or
     * a reset is 409 {@code connect_in_progress} (third new-user review: two connects at once both answered 200, and
     * the first one's credentials were never served). Once the agent answered, the proxy is free again.
     */
    @Test
    void shouldRefuseASecondConnectWhileAConnectWaitsForItsAgent() throws Throwable {
        long reseller = IDS.incrementAndGet();
        long order = IDS.incrementAndGet();
        String token = "Bearer " + InternalTokens.fleet().reseller(reseller);
        try (TestAgent agent = new TestAgent(GRPC_PORT)) {
            agent.hello("agent-s", "token-s", 30300, 30310, "s", "LAX", "NYC", "MIA");
            long proxyId = provisioned(agent, reseller, order, "LAX");
            String base = "/v1/reseller/proxies/" + proxyId;

            var first = java.util.concurrent.CompletableFuture.supplyAsync(() -> given().header("Authorization", token)
                    .contentType("application/json").body("{\"location_id\":\"NYC\"}").post(base + "/connect"));
            FleetMessage open = agent.next(WAIT);
            assertTrue(open.hasProvisionProxy(), open.toString());
            given().header("Authorization", token).contentType("application/json").body("{\"location_id\":\"MIA\"}")
                    .post(base + "/connect").then().statusCode(409).body("code", equalTo("connect_in_progress"))
                    .body("detail", org.hamcrest.Matchers.endsWith("connect once it has finished"));
            given().header("Authorization", token).post(base + "/disconnect").then().statusCode(409)
                    .body("code", equalTo("connect_in_progress"));
            given().header("Authorization", token).contentType("application/json").body("{\"mode\":\"fast\"}")
                    .post(base + "/reset").then().statusCode(409).body("code", equalTo("connect_in_progress"));
            given().header("Authorization", token).contentType("application/json").body("{\"fingerprint\":\"macos\"}")
                    .post(base + "/fingerprint").then().statusCode(409).body("code", equalTo("connect_in_progress"));

            agent.answer(open, true, "");
            var moved = first.get().then().statusCode(200).extract();
            // the answer's credentials are the proxy's, and nothing else was sent to the agent meanwhile
            given().header("Authorization", token).get(base).then().statusCode(200)
                    .body("location_id", equalTo("NYC")).body("port", equalTo(moved.path("port")))
                    .body("username", equalTo(moved.path("username"))).body("password", equalTo(moved.path("password")));
            // disconnect takes no fields: a body that says something else is refused before anything is released
            given().header("Authorization", token).contentType("application/json").body("{\"really\": false}")
                    .post(base + "/disconnect").then().statusCode(422).body("detail", org.hamcrest.Matchers.containsString("'really'"));
            given().header("Authorization", token).get(base).then().statusCode(200).body("status", equalTo("active"));
            // the move is over: the proxy takes the next connect
            int again = connect(agent, token, base, "MIA", true);
            given().header("Authorization", token).get(base).then().statusCode(200)
                    .body("location_id", equalTo("MIA")).body("port", equalTo(again));
        }
    }

    /**
     * A proxy another replica ended (expiry runs where the row was claimed): that replica's {@code proxy_ended}
     * notification makes the replica holding the agent's stream release it at once, not at the agent's next heartbeat
     * (static review, stop 27, finding 3: the port was free in the database and refused by the agent meanwhile). The
     * other replica is played by the row change ExpiryJob makes and the notification it sends.
     */
    @Test
    void shouldReleaseAtOnceAProxyAnotherReplicaEnded() throws Throwable {
        long reseller = IDS.incrementAndGet();
        try (TestAgent agent = new TestAgent(GRPC_PORT)) {
            agent.hello("agent-y", "token-y", 30900, 30910, "y", "LAX");
            long proxyId = provisioned(agent, reseller, IDS.incrementAndGet(), "LAX");
            VertxContextSupport.subscribeAndAwait(() -> sessionFactory.withTransaction(s -> s.createNativeQuery(
                    "update proxies set status = 'expired', updated_at = now() at time zone 'utc' where id = :id")
                    .setParameter("id", proxyId).executeUpdate()));
            VertxContextSupport.subscribeAndAwait(() -> sessionFactory.withSession(s -> s.createNativeQuery(
                    "select pg_notify('" + com.proxyvault.fleet.provisioning.EndedReleases.CHANNEL + "', '')").getSingleResult()));
            FleetMessage release = agent.next(WAIT); // no heartbeat sent: only the notification can have caused it
            assertTrue(release.hasReleaseProxy(), release.toString());
            assertEquals(proxyId, release.getReleaseProxy().getProxyId());
            agent.answer(release, true, "");
        }
    }

    /**
     * A disconnect whose release the agent did not carry out (it answered 503-worthy, the disconnect stands) left the
     * listener serving the old credentials until the agent's next Hello: now the next heartbeat that still reports
     * the proxy gets it released (static review, stop 27, finding 4).
     */
    @Test
    void shouldReleaseADisconnectedProxyItsAgentStillReports() throws Throwable {
        long reseller = IDS.incrementAndGet();
        String token = "Bearer " + InternalTokens.fleet().reseller(reseller);
        try (TestAgent agent = new TestAgent(GRPC_PORT)) {
            agent.hello("agent-x", "token-x", 30800, 30810, "x", "MIA");
            long proxyId = provisioned(agent, reseller, IDS.incrementAndGet(), "MIA");
            var disconnect = java.util.concurrent.CompletableFuture.supplyAsync(() -> given().header("Authorization", token)
                    .post("/v1/reseller/proxies/" + proxyId + "/disconnect"));
            FleetMessage release = agent.next(WAIT);
            assertTrue(release.hasReleaseProxy(), release.toString());
            agent.answer(release, false, "listener busy");
            disconnect.get().then().statusCode(200);
            given().header("Authorization", token).get("/v1/reseller/proxies/" + proxyId).then()
                    .body("status", equalTo("disconnected"));

            agent.heartbeat(proxyId, 1, 1, 1); // still serving it
            FleetMessage again = agent.next(WAIT);
            assertTrue(again.hasReleaseProxy(), again.toString());
            assertEquals(proxyId, again.getReleaseProxy().getProxyId());
            agent.answer(again, true, "");
        }
    }

    /**
     * An agent back with another modem list: a proxy on a modem it no longer announces is {@code offline} with
     * {@code proxy.offline}, not re-announced online with nothing listening (new-user review 5, finding 2); a later
     * Hello that announces the modem again revives it and the agent is told to open it.
     */
    @Test
    void shouldTakeOfflineAProxyWhoseModemItsAgentNoLongerAnnounces() throws Throwable {
        long reseller = IDS.incrementAndGet();
        long order = IDS.incrementAndGet();
        String token = "Bearer " + InternalTokens.fleet().reseller(reseller);
        long proxyId;
        try (TestAgent agent = new TestAgent(GRPC_PORT)) {
            agent.hello("agent-w", "token-w", 30700, 30710, "w", "LAX");
            proxyId = provisioned(agent, reseller, order, "LAX");
        }
        String base = "/v1/reseller/proxies/" + proxyId;
        try (TestAgent agent = new TestAgent(GRPC_PORT)) {
            agent.hello("agent-w", "token-w", 30700, 30710, "x", "LAX"); // modem x0 instead of w0
            assertTrue(agent.next(WAIT).hasWelcome());
            awaitEvent(EventTypes.PROXY_OFFLINE, order);
            given().header("Authorization", token).get(base).then().body("status", equalTo("offline"));
        }
        try (TestAgent agent = new TestAgent(GRPC_PORT)) {
            agent.hello("agent-w", "token-w", 30700, 30710, "w", "LAX");
            assertTrue(agent.next(WAIT).hasWelcome());
            awaitEvent(EventTypes.PROXY_ONLINE, order);
            FleetMessage reopen = agent.next(WAIT);
            assertEquals(proxyId, reopen.getProvisionProxy().getProxyId());
            agent.answer(reopen, true, "");
            given().header("Authorization", token).get(base).then().body("status", equalTo("active"));
        }
    }

    /**
     * A proxy left offline because its agent stopped announcing its modem can be moved or disconnected by its
     * reseller (new-user review 6, HIGH: connect, disconnect and reset were all 409 "Proxy is offline", and the
     * operator could not remove the modem because the proxy held its place), and then the operator can remove the
     * modems that left.
     */
    @Test
    void shouldLetAResellerMoveOrDisconnectAProxyWhoseModemLeft() throws Throwable {
        long reseller = IDS.incrementAndGet();
        long moved = IDS.incrementAndGet();
        long dropped = IDS.incrementAndGet();
        String token = "Bearer " + InternalTokens.fleet().reseller(reseller);
        String operator = "Bearer " + InternalTokens.fleet().operator();
        long first;
        long second;
        try (TestAgent agent = new TestAgent(GRPC_PORT)) {
            agent.hello("agent-zt", "token-zt", 31500, 31510, "t", "LAX", "LAX");
            first = provisioned(agent, reseller, moved, "LAX");
            second = provisionedAgain(agent, reseller, dropped, "LAX");
        }
        try (TestAgent agent = new TestAgent(GRPC_PORT)) {
            agent.hello("agent-zt", "token-zt", 31500, 31510, "u", "NYC"); // t0 and t1 are gone, u0 is new
            assertTrue(agent.next(WAIT).hasWelcome());
            awaitEvent(EventTypes.PROXY_OFFLINE, moved);
            awaitEvent(EventTypes.PROXY_OFFLINE, dropped);
            given().header("Authorization", operator).delete("/internal/agents/agent-zt/modems/t0").then().statusCode(409)
                    .body("code", equalTo("modem_in_use"));

            // the reseller moves one: a new place (its old port stays held until the move ends), active again
            int port = connect(agent, token, "/v1/reseller/proxies/" + first, "NYC", true);
            assertEquals(31502, port);
            given().header("Authorization", token).get("/v1/reseller/proxies/" + first).then()
                    .body("status", equalTo("active")).body("location_id", equalTo("NYC"));
            // online again, and told so as when its agent comes back: a reseller following status by webhooks
            // would otherwise see proxy.offline and nothing after it
            awaitEvent(EventTypes.PROXY_ONLINE, moved);
            // and disconnects the other: its place is given back, its agent told to close whatever it still has
            var disconnect = java.util.concurrent.CompletableFuture.supplyAsync(() -> given().header("Authorization", token)
                    .post("/v1/reseller/proxies/" + second + "/disconnect"));
            FleetMessage release = agent.next(WAIT);
            assertEquals(second, release.getReleaseProxy().getProxyId());
            agent.answer(release, true, "");
            disconnect.get().then().statusCode(200);
            given().header("Authorization", token).get("/v1/reseller/proxies/" + second).then().body("status", equalTo("disconnected"));
            assertTrue(seen.stream().noneMatch(e -> e.get("type").asText().equals(EventTypes.PROXY_ONLINE)
                    && e.get("data").get("order_id").asLong() == dropped), "a disconnected proxy is not online");

            // the modems that left hold nothing now: the operator removes them
            given().header("Authorization", operator).delete("/internal/agents/agent-zt/modems/t0").then().statusCode(204);
            given().header("Authorization", operator).delete("/internal/agents/agent-zt/modems/t1").then().statusCode(204);
        }
    }

    /**
     * A connect whose caller hangs up while the agent works is finished all the same (docs/api.md "Hang-ups"; static
     * review, stop 29, finding 1). Quarkus REST cancels a resource's {@code Uni} when its connection closes unless the
     * resource says {@code @Cancellable(false)}: the move's end (lease and held place given back, or the revert) never
     * ran, so the proxy kept its lease (409 {@code connect_in_progress} for ~36 s) and its old place stayed booked, or a
     * refused move was not put back. A gateway that timed out, or a reseller's client that gave up, did that.
     */
    @Test
    void shouldFinishAConnectWhoseCallerHungUpWhileTheAgentWorked() throws Throwable {
        long reseller = IDS.incrementAndGet();
        String token = "Bearer " + InternalTokens.fleet().reseller(reseller);
        try (TestAgent agent = new TestAgent(GRPC_PORT)) {
            agent.hello("agent-zu", "token-zu", 31600, 31610, "w", "LAX", "NYC");
            long proxyId = provisioned(agent, reseller, IDS.incrementAndGet(), "LAX");

            String body = "{\"location_id\":\"NYC\"}";
            FleetMessage open;
            try (java.net.Socket caller = new java.net.Socket("localhost", io.restassured.RestAssured.port)) {
                caller.getOutputStream().write(("POST /v1/reseller/proxies/" + proxyId + "/connect HTTP/1.1\r\n"
                        + "Host: localhost\r\nAuthorization: " + token + "\r\nContent-Type: application/json\r\n"
                        + "Content-Length: " + body.length() + "\r\n\r\n" + body).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                caller.getOutputStream().flush();
                open = agent.next(WAIT);
                assertTrue(open.hasProvisionProxy(), open.toString());
            } // the caller hangs up before the agent answers
            // Not a timing claim: it gives the fleet's event loop time to see the close before the answer arrives,
            // which is the order that cancelled the move before.
            Thread.sleep(500);
            agent.answer(open, true, "");

            await().atMost(WAIT).untilAsserted(() -> assertEquals(List.of(open.getProvisionProxy().getPort(), "NYC", "none"),
                    db(() -> sessionFactory.withSession(session -> session.createNativeQuery(
                            "select port, location_id, coalesce(cast(moving_until as text), move_from_modem_id, 'none')"
                                    + " from proxies where id = :id", Object[].class)
                            .setParameter("id", proxyId).getSingleResult()
                            .map(row -> List.of(((Number) row[0]).intValue(), row[1], row[2]))))));
            // the move is over: the reseller may move it again at once
            connect(agent, token, "/v1/reseller/proxies/" + proxyId, "LAX", true);
        }
    }

    /**
     * Just after a fleet start, a paid order that finds no modem waits for the agents to dial back in instead of
     * failing and being refunded (FleetStart; new-user review 5, finding 1: every order paid while the fleet was down
     * failed "No free modem available" seconds before the agent reconnected). Past the grace it fails as before.
     */
    @Test
    void shouldWaitForAgentsToReconnectBeforeFailingAPlacementJustAfterAStart() throws Throwable {
        long reseller = IDS.incrementAndGet();
        long order = IDS.incrementAndGet();
        try {
            fleetStart.settleFrom(com.proxyvault.platform.time.ClockProducer.utcNow(java.time.Clock.systemUTC()),
                    Duration.ofSeconds(20));
            orderPaid(reseller, order, "day", "NYC"); // no agent of NYC is connected yet
            Thread.sleep(1500);
            assertTrue(seen.stream().noneMatch(e -> e.get("type").asText().equals(EventTypes.PROXY_PROVISION_FAILED)
                    && e.get("data").get("order_id").asLong() == order), "failed while agents may still be reconnecting");
            try (TestAgent agent = new TestAgent(GRPC_PORT)) {
                agent.hello("agent-v", "token-v", 30600, 30610, "v", "NYC");
                assertTrue(agent.next(WAIT).hasWelcome());
                FleetMessage provision = agent.next(WAIT);
                assertTrue(provision.hasProvisionProxy(), provision.toString());
                agent.answer(provision, true, "");
                awaitEvent(EventTypes.PROXY_PROVISIONED, order);
            }
        } finally {
            fleetStart.settleFrom(java.time.LocalDateTime.of(2000, 1, 1, 0, 0), Duration.ZERO);
        }
        // past the grace: no modem is a failure at once, as before
        long late = IDS.incrementAndGet();
        orderPaid(reseller, late, "day", "NYC");
        assertEquals("No free modem available in NYC",
                awaitEvent(EventTypes.PROXY_PROVISION_FAILED, late).get("data").get("reason").asText());
    }

    /**
     * An offline proxy keeps its modem slot and port (fleet V22): the next purchase is not placed there while the
     * agent, heard again, still serves it; and a heartbeat on the stream the agent kept, reporting the proxy served,
     * makes it active again with {@code proxy.online}, without a Hello (static review, stop 27, finding 1: the slot
     * and port went to the next purchase, which the agent refused, and only a Hello revived the proxy).
     */
    @Test
    void shouldKeepAnOfflineProxysPlaceAndReviveItWhenItsAgentIsHeardAgain() throws Throwable {
        long reseller = IDS.incrementAndGet();
        long order = IDS.incrementAndGet();
        String token = "Bearer " + InternalTokens.fleet().reseller(reseller);
        try (TestAgent agent = new TestAgent(GRPC_PORT)) {
            agent.hello("agent-u", "token-u", 30500, 30510, "u", "MIA");
            long proxyId = provisioned(agent, reseller, order, "MIA");
            String base = "/v1/reseller/proxies/" + proxyId;
            int port = given().header("Authorization", token).get(base).then().extract().path("port");

            // silent past the timeout: offline, its port still shown
            VertxContextSupport.subscribeAndAwait(() -> sessionFactory.withTransaction(s -> s.createNativeQuery(
                    "update agents set last_seen_at = last_seen_at - interval '1 hour' where id = 'agent-u'").executeUpdate()));
            awaitEvent(EventTypes.PROXY_OFFLINE, order);
            given().header("Authorization", token).get(base).then().body("status", equalTo("offline")).body("port", equalTo(port));

            // heard again without the proxy in its report: live for placement, the proxy still offline and holding
            // the only slot, so a purchase in MIA finds no modem instead of taking the proxy's modem and port
            agent.heartbeat();
            await().atMost(WAIT).until(() -> db(() -> sessionFactory.withSession(s -> s.createNativeQuery(
                    "select last_seen_at > now() at time zone 'utc' - interval '1 minute' from agents where id = 'agent-u'",
                    Boolean.class).getSingleResult())));
            long other = IDS.incrementAndGet();
            orderPaid(reseller + 1000, other, "day", "MIA");
            assertEquals("No free modem available in MIA",
                    awaitEvent(EventTypes.PROXY_PROVISION_FAILED, other).get("data").get("reason").asText());
            given().header("Authorization", token).get(base).then().body("status", equalTo("offline"));

            // a heartbeat that reports it served: active again, announced, same port, no Hello
            agent.heartbeat(proxyId, 10, 20, 1);
            awaitEvent(EventTypes.PROXY_ONLINE, order);
            given().header("Authorization", token).get(base).then().body("status", equalTo("active")).body("port", equalTo(port));
        }
    }

    @Test
    void shouldNotAnnounceAProxyOfflineAgainForARefusedConnect() throws Throwable {
        long reseller = IDS.incrementAndGet();
        long order = IDS.incrementAndGet();
        String token = "Bearer " + InternalTokens.fleet().reseller(reseller);
        try (TestAgent agent = new TestAgent(GRPC_PORT)) {
            agent.hello("agent-zx", "token-zx", 31900, 31910, "x", "LAX", "NYC");
            assertTrue(agent.next(WAIT).hasWelcome());
            orderPaid(reseller, order, "day", "LAX");
            agent.answer(agent.next(WAIT), true, "");
            long proxyId = awaitEvent(EventTypes.PROXY_PROVISIONED, order).get("data").get("proxy_id").asLong();
            String base = "/v1/reseller/proxies/" + proxyId;

            var connect = java.util.concurrent.CompletableFuture.supplyAsync(() -> given().header("Authorization", token)
                    .contentType("application/json").body("{\"location_id\":\"NYC\"}").post(base + "/connect"));
            FleetMessage move = agent.next(WAIT);
            assertTrue(move.hasProvisionProxy(), move.toString());
            // While the connect waits for the agent, the agent falls silent past the timeout and a sweep runs: the proxy
            // being moved is the connect's to settle. Swept, it was set offline (and announced) at the move's place,
            // then put back by the refused connect, and announced offline again by the next sweep (M0).
            VertxContextSupport.subscribeAndAwait(() -> sessionFactory.withTransaction(s -> s.createNativeQuery(
                    "update agents set last_seen_at = last_seen_at - interval '1 hour' where id = 'agent-zx'").executeUpdate()));
            VertxContextSupport.subscribeAndAwait(() -> liveness.markSilentAgentsOffline());
            given().header("Authorization", token).get(base).then().body("status", equalTo("active"))
                    .body("location_id", equalTo("NYC"));
            agent.answer(move, false, "port busy");
            assertEquals(503, connect.get(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS).statusCode());
            given().header("Authorization", token).get(base).then().body("location_id", equalTo("LAX"));
            // back at its place with its agent still silent: offline now, announced once
            assertEquals(proxyId, awaitEvent(EventTypes.PROXY_OFFLINE, order).get("data").get("proxy_id").asLong());
        }
    }

    /**
     * The offline sweep decides on the agent's silence as it is when it writes, not as its first read saw it (static
     * review, stop 27, finding 2): a heartbeat whose transaction holds the agent's row while the sweep runs makes the
     * sweep's re-check ({@code for share}) wait for it and then find the agent heard, so the proxy stays active.
     * Without the re-check, the sweep marked the proxy offline from its stale read, and the heartbeat's revival came
     * after a reconciliation had closed the listener. Played with the service's clock moved past the heartbeat
     * timeout (10 min in tests) while a transaction of the test holds the agent's row with a later heartbeat.
     */
    @Test
    void shouldNotTakeOfflineAProxyWhoseAgentIsHeardWhileTheSweepRuns() throws Throwable {
        long reseller = IDS.incrementAndGet();
        long order = IDS.incrementAndGet();
        String token = "Bearer " + InternalTokens.fleet().reseller(reseller);
        io.vertx.mutiny.sqlclient.SqlConnection heartbeat = pool.getConnection().await().atMost(WAIT);
        try (TestAgent agent = new TestAgent(GRPC_PORT)) {
            agent.hello("agent-zv", "token-zv", 31700, 31710, "zv", "MIA");
            long proxyId = provisioned(agent, reseller, order, "MIA");

            // a heartbeat batch being written: the agent's row updated (an hour ahead, so still heard once the clock
            // moved), not committed yet
            io.vertx.mutiny.sqlclient.Transaction written = heartbeat.begin().await().atMost(WAIT);
            heartbeat.query("update agents set last_seen_at = last_seen_at + interval '1 hour' where id = 'agent-zv'")
                    .execute().await().atMost(WAIT);
            clock.advance(Duration.ofMinutes(11));
            // the sweep's first read saw the committed row (silent) and now waits on the row lock in its re-check
            await().alias("the sweep's re-check waits for the heartbeat's transaction").atMost(WAIT).until(() -> sweepWaitsOnALock());
            written.commit().await().atMost(WAIT);
            await().atMost(WAIT).until(() -> !sweepWaitsOnALock());
            given().header("Authorization", token).get("/v1/reseller/proxies/" + proxyId).then().statusCode(200)
                    .body("status", equalTo("active"));
        } finally {
            clock.reset();
            heartbeat.close().await().atMost(WAIT);
        }
    }

    /** Whether a statement locking rows {@code for share} (the offline sweep's re-check) waits on a lock. */
    private boolean sweepWaitsOnALock() {
        return db(() -> sessionFactory.withSession(s -> s.createNativeQuery("""
                select count(*) > 0 from pg_stat_activity
                where datname = current_database() and wait_event_type = 'Lock' and query like '%for share%'""",
                Boolean.class).getSingleResult()));
    }

    /**
     * One fingerprint change of a proxy at a time (fleet V21, docs/fleet.md "Fingerprint change while one runs"):
     * while one waits for its agent, a second change and a connect are 409 {@code fingerprint_in_progress} and reach
     * no agent, so the agent and the row cannot end on different profiles; the change's end (ok or refused) lets
     * the next one through.
     */
    @Test
    void shouldRefuseASecondFingerprintChangeWhileOneWaitsForItsAgent() throws Throwable {
        long reseller = IDS.incrementAndGet();
        String token = "Bearer " + InternalTokens.fleet().reseller(reseller);
        try (TestAgent agent = new TestAgent(GRPC_PORT)) {
            agent.hello("agent-t", "token-t", 30400, 30410, "t", "LAX", "NYC");
            long proxyId = provisioned(agent, reseller, IDS.incrementAndGet(), "LAX");
            String base = "/v1/reseller/proxies/" + proxyId;

            var first = fingerprint(token, base, "macos");
            FleetMessage set = agent.next(WAIT);
            assertEquals(com.proxyvault.contracts.agent.v1.Fingerprint.FINGERPRINT_MACOS, set.getSetFingerprint().getFingerprint());
            fingerprint(token, base, "windows").get().then().statusCode(409).body("code", equalTo("fingerprint_in_progress"))
                    .body("detail", org.hamcrest.Matchers.endsWith("change it again once it has finished"));
            given().header("Authorization", token).contentType("application/json").body("{\"location_id\":\"NYC\"}")
                    .post(base + "/connect").then().statusCode(409).body("code", equalTo("fingerprint_in_progress"));
            // another reseller still gets 404, not a hint that a change runs
            given().header("Authorization", "Bearer " + InternalTokens.fleet().reseller(reseller + 1000))
                    .contentType("application/json").body("{\"fingerprint\":\"linux\"}").post(base + "/fingerprint")
                    .then().statusCode(404);
            agent.answer(set, true, "");
            first.get().then().statusCode(200).body("fingerprint", equalTo("macos"));
            given().header("Authorization", token).get(base).then().body("fingerprint", equalTo("macos"));

            // refused by the modem: 503, nothing stored, and the lease is over
            var refused = fingerprint(token, base, "windows");
            agent.answer(agent.next(WAIT), false, "modem busy");
            refused.get().then().statusCode(503);
            given().header("Authorization", token).get(base).then().body("fingerprint", equalTo("macos"));
            var linux = fingerprint(token, base, "linux");
            FleetMessage next = agent.next(WAIT);
            assertEquals(com.proxyvault.contracts.agent.v1.Fingerprint.FINGERPRINT_LINUX, next.getSetFingerprint().getFingerprint());
            agent.answer(next, true, "");
            linux.get().then().statusCode(200).body("fingerprint", equalTo("linux"));
            // the connect after it re-opens the listener with the stored profile
            var connect = java.util.concurrent.CompletableFuture.supplyAsync(() -> given().header("Authorization", token)
                    .contentType("application/json").body("{\"location_id\":\"NYC\"}").post(base + "/connect"));
            FleetMessage open = agent.next(WAIT);
            assertEquals(com.proxyvault.contracts.agent.v1.Fingerprint.FINGERPRINT_LINUX, open.getProvisionProxy().getFingerprint());
            agent.answer(open, true, "");
            connect.get().then().statusCode(200);
        }
    }

    private static java.util.concurrent.CompletableFuture<io.restassured.response.Response> fingerprint(String token, String base, String profile) {
        return java.util.concurrent.CompletableFuture.supplyAsync(() -> given().header("Authorization", token)
                .contentType("application/json").body("{\"fingerprint\":\"" + profile + "\"}").post(base + "/fingerprint"));
    }

    /**
     * After the agent's Hello: its Welcome, then a day's proxy for a paid order ({@code location} or anywhere) that the
     * agent opens; the proxy's id once {@code proxy.provisioned} is out.
     */
    private long provisioned(TestAgent agent, long reseller, long order, String location) throws Exception {
        assertTrue(agent.next(WAIT).hasWelcome());
        return provisionedAgain(agent, reseller, order, location);
    }

    /** Another day's proxy on an agent already welcomed: its id once {@code proxy.provisioned} is out. */
    private long provisionedAgain(TestAgent agent, long reseller, long order, String location) throws Exception {
        orderPaid(reseller, order, "day", location);
        agent.answer(agent.next(WAIT), true, "");
        return awaitEvent(EventTypes.PROXY_PROVISIONED, order).get("data").get("proxy_id").asLong();
    }

    /** A fast reset the agent answers with {@code newIp}: 200. */
    private static void resetTo(TestAgent agent, String token, String base, String newIp) throws Exception {
        var reset = java.util.concurrent.CompletableFuture.supplyAsync(() -> given().header("Authorization", token)
                .contentType("application/json").body("{\"mode\":\"fast\"}").post(base + "/reset"));
        FleetMessage resetIp = agent.next(WAIT);
        assertTrue(resetIp.hasResetIp(), resetIp.toString());
        agent.answerWithExitIp(resetIp, newIp);
        reset.get().then().statusCode(200).body("new_ip", equalTo(newIp));
    }

    /** A connect to {@code location} whose new listener the agent opens ({@code ok}: 200, its port) or refuses (503, -1). */
    private static int connect(TestAgent agent, String token, String base, String location, boolean ok) throws Exception {
        var connect = java.util.concurrent.CompletableFuture.supplyAsync(() -> given().header("Authorization", token)
                .contentType("application/json").body("{\"location_id\":\"" + location + "\"}").post(base + "/connect"));
        FleetMessage open = agent.next(WAIT);
        assertTrue(open.hasProvisionProxy(), open.toString());
        agent.answer(open, ok, ok ? "" : "modem offline");
        connect.get().then().statusCode(ok ? 200 : 503);
        return ok ? open.getProvisionProxy().getPort() : -1;
    }

    private String provisionedUsername(long proxyId) {
        return db(() -> sessionFactory.withSession(s -> s.createNativeQuery(
                "select username from proxies where id = :id", String.class).setParameter("id", proxyId).getSingleResult()));
    }

    /**
     * Heartbeats carry every served proxy's running totals, changed or not; only a report that moves a counter
     * forward is written (docs/fleet.md "Traffic counters: only what moved"). The proof is the row itself: an
     * unchanged report leaves its version ({@code xmin}) and its lock word ({@code xmax}) as they were, a changed one
     * makes a new version. A late report (same counting start, lower totals) changes nothing either, and is not
     * counted again when the totals move on. A second proxy's counter, moving in every heartbeat, shows when the
     * batch that carried a heartbeat has committed (one transaction for the whole batch).
     */
    @Test
    void shouldWriteNoRowVersionForAHeartbeatWhoseCountersDidNotMove() throws Throwable {
        long reseller = IDS.incrementAndGet();
        try (TestAgent agent = new TestAgent(GRPC_PORT)) {
            agent.hello("agent-p", "token-p", 30000, 30010, "p", "MIA", "MIA");
            long proxyId = provisioned(agent, reseller, IDS.incrementAndGet(), null);
            long marker = provisionedAgain(agent, reseller, IDS.incrementAndGet(), null);

            agent.heartbeat(new long[] {proxyId, 100, 2000, 1}, new long[] {marker, 1, 1, 1});
            await().atMost(WAIT).until(() -> java.util.Arrays.equals(new long[] {100, 2000}, traffic(proxyId))
                    && traffic(marker)[0] == 1);
            String written = rowVersion(proxyId);

            // the same totals again, then a late report of the same counting start: once the batch that carried each
            // has committed (the marker moved with it), the counters' row is exactly as it was: no version, no lock
            long markerBytes = 1;
            for (long[] report : new long[][] {{proxyId, 100, 2000, 1}, {proxyId, 90, 1900, 1}}) {
                long expected = ++markerBytes;
                agent.heartbeat(report, new long[] {marker, expected, 1, 1});
                await().atMost(WAIT).until(() -> traffic(marker)[0] == expected);
                assertEquals(written, rowVersion(proxyId), "no new row version and no lock for " + report[1] + "/" + report[2]);
                assertTrue(java.util.Arrays.equals(new long[] {100, 2000}, traffic(proxyId)));
            }

            // moved on: a new row version, and only the 50 bytes since the last written total count (not 60)
            agent.heartbeat(proxyId, 150, 2000, 1);
            await().atMost(WAIT).until(() -> java.util.Arrays.equals(new long[] {150, 2000}, traffic(proxyId)));
            assertFalse(written.equals(rowVersion(proxyId)), "a changed counter is written");
            // a new counting start (the listener reopened) adds its whole total, as before
            agent.heartbeat(proxyId, 30, 40, 2);
            await().atMost(WAIT).until(() -> java.util.Arrays.equals(new long[] {180, 2040}, traffic(proxyId)));
        }
    }

    /** The proxy's counters row's version and lock word: {@code "xmin/xmax"}. */
    private String rowVersion(long proxyId) {
        return db(() -> sessionFactory.withSession(s -> s.createNativeQuery(
                        "select xmin::text || '/' || xmax::text from proxy_traffic where proxy_id = :id", String.class)
                .setParameter("id", proxyId).getSingleResult()));
    }

    /** {@code {bytes_in, bytes_out}} of the proxy's counters row, {@code {-1, -1}} before it has one. */
    private long[] traffic(long proxyId) {
        List<Object[]> rows = db(() -> sessionFactory.withSession(s -> s.createNativeQuery(
                        "select bytes_in, bytes_out from proxy_traffic where proxy_id = :id", Object[].class)
                .setParameter("id", proxyId).getResultList()));
        return rows.isEmpty() ? new long[] {-1, -1}
                : new long[] {((Number) rows.get(0)[0]).longValue(), ((Number) rows.get(0)[1]).longValue()};
    }

    /** A database call from the test's thread, its failure unchecked (usable inside await's conditions). */
    private static <T> T db(java.util.function.Supplier<io.smallrye.mutiny.Uni<T>> call) {
        try {
            return VertxContextSupport.subscribeAndAwait(call);
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Two replicas (docs/fleet.md "Two replicas"), from one replica's side: the hop another replica uses to
     * reach an agent whose stream is here, and the 503 when no live replica holds the stream — whether it is
     * on none, on one whose lease ran out, or on one that does not have it any more.
     */
    @Test
    void shouldServeForwardedCommandsAndAnswer503WhenNoLiveReplicaHoldsTheAgent() throws Throwable {
        long reseller = IDS.incrementAndGet();
        long order = IDS.incrementAndGet();
        String token = "Bearer " + InternalTokens.fleet().reseller(reseller);
        long proxyId;
        try (TestAgent agent = new TestAgent(GRPC_PORT)) {
            agent.hello("agent-g", "token-g", 28000, 28010, "g", "LAX");
            assertTrue(agent.next(WAIT).hasWelcome());
            orderPaid(reseller, order, "day");
            FleetMessage provision = agent.next(WAIT);
            agent.answer(provision, true, "");
            proxyId = awaitEvent(EventTypes.PROXY_PROVISIONED, order).get("data").get("proxy_id").asLong();

            // Connect where no modem is free (its own is the only one in LAX): 409 with detail and code.
            given().header("Authorization", token).contentType("application/json").body("{\"location_id\":\"LAX\"}")
                    .post("/v1/reseller/proxies/" + proxyId + "/connect").then().statusCode(409)
                    .body("code", equalTo("conflict"))
                    .body("detail", equalTo("No other free modem in LAX right now (the proxy is on one there already)"));

            // The hop: a command from another replica goes over the stream here; the agent's result comes back unchanged.
            FleetMessage command = FleetMessage.newBuilder().setSetFingerprint(SetFingerprint.newBuilder()
                    .setProxyId(proxyId).setFingerprint(Fingerprint.FINGERPRINT_LINUX)).build();
            var hop = CompletableFuture.supplyAsync(() -> given().header("Authorization", token)
                    .contentType("application/x-protobuf").body(command.toByteArray())
                    .post("/internal/agent-commands/agent-g?timeout_ms=5000"));
            FleetMessage received = agent.next(WAIT);
            assertTrue(received.hasSetFingerprint(), received.toString());
            agent.answerWithExitIp(received, "203.0.113.77");
            var answer = hop.get();
            assertEquals(200, answer.statusCode(), answer.asString());
            CommandResult result = CommandResult.parseFrom(answer.asByteArray());
            assertEquals(received.getCommandId(), result.getCommandId());
            assertEquals("203.0.113.77", result.getExitIp());
            // another reseller's token cannot command this proxy; an agent not connected here is a 503
            given().header("Authorization", "Bearer " + InternalTokens.fleet().reseller(reseller + 1))
                    .contentType("application/x-protobuf").body(command.toByteArray())
                    .post("/internal/agent-commands/agent-g?timeout_ms=5000").then().statusCode(404);
            given().header("Authorization", token).contentType("application/x-protobuf").body(command.toByteArray())
                    .post("/internal/agent-commands/agent-nowhere?timeout_ms=1000").then().statusCode(503)
                    .body("code", equalTo("agent_not_connected_here"));
            // A proxy that ended while another replica ran its job (no release reached this stream): the
            // agent's next heartbeat still names it, and its replica closes it.
            VertxContextSupport.subscribeAndAwait(() -> sessionFactory.withTransaction(s -> s.createNativeQuery(
                    "update proxies set status = 'expired' where id = :id").setParameter("id", command.getSetFingerprint().getProxyId())
                    .executeUpdate()));
            agent.heartbeat(proxyId, 10, 20, 1);
            FleetMessage release = agent.next(WAIT);
            assertTrue(release.hasReleaseProxy(), release.toString());
            assertEquals(proxyId, release.getReleaseProxy().getProxyId());
            assertEquals(provision.getProvisionProxy().getPort(), release.getReleaseProxy().getPort());
            agent.answer(release, true, "");
            VertxContextSupport.subscribeAndAwait(() -> sessionFactory.withTransaction(s -> s.createNativeQuery(
                    "update proxies set status = 'active' where id = :id").setParameter("id", command.getSetFingerprint().getProxyId())
                    .executeUpdate()));
        }
        // The stream ended: no replica holds the agent any more.
        await().atMost(WAIT).until(() -> heldByNoReplica("agent-g"));
        String fingerprint = "/v1/reseller/proxies/" + proxyId + "/fingerprint";
        given().header("Authorization", token).contentType("application/json").body("{\"fingerprint\":\"windows\"}")
                .post(fingerprint).then().statusCode(503).body("code", equalTo("service_unavailable"))
                .body("detail", containsString("not reachable"));
        try {
            // Claimed by a replica whose lease ran out (it crashed): nothing to forward to, 503.
            double forwardedBefore = forwarded();
            VertxContextSupport.subscribeAndAwait(() -> sessionFactory.withTransaction(s -> s.createNativeQuery(
                            "insert into fleet_replicas (id, url, lease_until) values ('replica-gone', :url, :past)")
                    .setParameter("url", "http://localhost:" + io.restassured.RestAssured.port)
                    .setParameter("past", LocalDateTime.now(java.time.ZoneOffset.UTC).minusMinutes(1)).executeUpdate()
                    .chain(() -> s.createNativeQuery("update agents set replica_id = 'replica-gone' where id = 'agent-g'")
                            .executeUpdate())));
            given().header("Authorization", token).contentType("application/json").body("{\"fingerprint\":\"windows\"}")
                    .post(fingerprint).then().statusCode(503);
            assertEquals(forwardedBefore, forwarded());
            // A live claim is forwarded (here to this very replica, which does not hold the stream): still 503.
            VertxContextSupport.subscribeAndAwait(() -> sessionFactory.withTransaction(s -> s.createNativeQuery(
                            "update fleet_replicas set lease_until = :future where id = 'replica-gone'")
                    .setParameter("future", LocalDateTime.now(java.time.ZoneOffset.UTC).plusHours(1)).executeUpdate()));
            given().header("Authorization", token).contentType("application/json").body("{\"fingerprint\":\"windows\"}")
                    .post(fingerprint).then().statusCode(503).body("code", equalTo("service_unavailable"));
            assertEquals(forwardedBefore + 1, forwarded());
        } finally {
            VertxContextSupport.subscribeAndAwait(() -> sessionFactory.withTransaction(s -> s.createNativeQuery(
                            "update agents set replica_id = null where id = 'agent-g'").executeUpdate()
                    .chain(() -> s.createNativeQuery("delete from fleet_replicas where id = 'replica-gone'").executeUpdate())));
        }
    }

    private boolean heldByNoReplica(String agentId) {
        try {
            return VertxContextSupport.subscribeAndAwait(() -> sessionFactory.withSession(s -> s.createNativeQuery(
                            "select count(*) from agents where id = :id and replica_id is null", Long.class)
                    .setParameter("id", agentId).getSingleResult())) == 1L;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    private double forwarded() {
        return meters.counter("proxyvault.fleet.commands.forwarded").count();
    }

    /**
     * Moves the last reset of the proxy's modem 11 s back: past the fast cooldown (10 s), inside the hard one. (Moving the
     * clock instead would also age the test agent, which sends no heartbeats, out of allocation.)
     */
    private void endFastCooldown(long proxyId) throws Throwable {
        VertxContextSupport.subscribeAndAwait(() -> sessionFactory.withTransaction(s -> s.createNativeQuery(
                        "update modems set last_reset_at = last_reset_at - interval '11 seconds'"
                                + " where id = (select modem_id from proxies where id = :id)")
                .setParameter("id", proxyId).executeUpdate()));
    }

    private void orderPaid(long reseller, long orderId, String period) throws Exception {
        orderPaid(reseller, orderId, period, null);
    }

    private void orderPaid(long reseller, long orderId, String period, String locationId) throws Exception {
        sendOrderPaid(reseller, orderPaidJson(reseller, orderId, period, locationId));
    }

    /** A new order.paid event (a new event id each call). */
    private String orderPaidJson(long reseller, long orderId, String period, String locationId) {
        return EventJson.write(mapper, EventEnvelope.of(EventTypes.ORDER_PAID, reseller, new OrderPaid(orderId, 1, 1,
                "Multi Hop Proxy", "1 Hour", new BigDecimal("10.00"), period, 1, LocalDateTime.of(2026, 5, 25, 12, 0),
                null, locationId)));
    }

    private void sendOrderPaid(long reseller, String json) throws Exception {
        try (var producer = new KafkaProducer<String, String>(Map.of("bootstrap.servers", bootstrap),
                new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(topicPrefix + EventTypes.ORDER_PAID, String.valueOf(reseller), json)).get();
        }
    }

    private JsonNode awaitEvent(String type, long orderId) {
        await().atMost(WAIT).until(() -> {
            for (ConsumerRecord<String, String> record : events.poll(Duration.ofMillis(300))) {
                EventSchemas.assertValid(record.value());
                seen.add(mapper.readTree(record.value()));
            }
            return find(type, orderId) != null;
        });
        return find(type, orderId);
    }

    private JsonNode find(String type, long orderId) {
        return seen.stream().filter(e -> e.get("type").asText().equals(type)
                && e.get("data").get("order_id").asLong() == orderId).findFirst().orElse(null);
    }
}
