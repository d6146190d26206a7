package com.proxyvault.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.proxyvault.contracts.agent.v1.CommandResult;
import com.proxyvault.contracts.agent.v1.Fingerprint;
import com.proxyvault.contracts.agent.v1.FleetMessage;
import com.proxyvault.contracts.agent.v1.ResetMode;
import com.proxyvault.contracts.agent.v1.SetFingerprint;
import com.proxyvault.contracts.events.EventEnvelope;
import com.proxyvault.contracts.events.EventJson;
import com.proxyvault.contracts.events.EventSchemas;
import com.proxyvault.contracts.events.EventTypes;
import com.proxyvault.contracts.events.OrderPaid;
import com.proxyvault.platform.auth.InternalTokens;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.vertx.VertxContextSupport;
import io.restassured.response.Response;
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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 8 items 1 and 5 against real PostgreSQL, Kafka and a real gRPC stream (docs/fleet.md "Commands: id,
 * ack, timeout" and "Long resets: 202"): every command has an id and a timeout, an acking agent that does not
 * ack is told apart from one that is still working, each gives a clear error and leaves the proxy as it was;
 * a reset that outlasts the sync wait (2 s in tests) answers 202 and finishes in the background.
 */
@QuarkusTest
class AgentCommandFlowTest {

    private static final int GRPC_PORT = 19091;
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final AtomicLong IDS = new AtomicLong(System.nanoTime() % 1_000_000 * 1000 + 500);
    private static final int ACKING = 2;
    /** Hello.protocol_version 3: every heartbeat lists every proxy the agent serves (docs/fleet.md "Heartbeats as reconciliation"). */
    private static final int LISTS_ALL_SERVED = 3;

    @ConfigProperty(name = "proxyvault.topic-prefix")
    String topicPrefix;
    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;
    @ConfigProperty(name = "proxyvault.fleet.reset.sync-wait")
    Duration syncWait;
    @Inject
    Mutiny.SessionFactory sessionFactory;

    private final ObjectMapper mapper = new ObjectMapper().registerModule(new JavaTimeModule());
    private KafkaConsumer<String, String> events;
    private final List<JsonNode> seen = new ArrayList<>();

    @BeforeEach
    void listen() {
        events = new KafkaConsumer<>(Map.of("bootstrap.servers", bootstrap, "group.id", "fleet-test-" + UUID.randomUUID(),
                "auto.offset.reset", "earliest"), new StringDeserializer(), new StringDeserializer());
        events.subscribe(List.of(topicPrefix + EventTypes.PROXY_PROVISIONED, topicPrefix + EventTypes.PROXY_IP_ROTATED,
                topicPrefix + EventTypes.PROXY_ROTATION_FAILED));
    }

    @AfterEach
    void stop() {
        events.close();
    }

    @Test
    void shouldTellAnUnacknowledgedCommandFromAnUnfinishedOneAndLeaveTheProxyAsItWas() throws Throwable {
        try (TestAgent agent = new TestAgent(GRPC_PORT)) {
            agent.hello(ACKING, "agent-h", "token-h", 29000, 29010, "h", "LAX");
            assertTrue(agent.next(WAIT).hasWelcome());
            long reseller = IDS.incrementAndGet();
            long order = IDS.incrementAndGet();
            long proxyId = provision(agent, reseller, order);
            String token = "Bearer " + InternalTokens.fleet().reseller(reseller);
            String base = "/v1/reseller/proxies/" + proxyId;

            // Every command carries an id and its kind's timeout (fingerprint: 3 s in tests).
            var unacked = CompletableFuture.supplyAsync(() -> fingerprint(token, base, "windows"));
            FleetMessage first = agent.next(WAIT);
            assertTrue(first.hasSetFingerprint(), first.toString());
            assertFalse(first.getCommandId().isEmpty());
            assertEquals(3_000, first.getTimeoutMs());
            // No ack: a 503 that says so (agent_not_acknowledged, the ack timeout's answer; the command's own
            // timeout would answer 504 agent_timeout, below). No timing assertion: the code tells them apart.
            Response notAcked = unacked.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertEquals(503, notAcked.statusCode(), notAcked.asString());
            assertEquals("agent_not_acknowledged", notAcked.jsonPath().getString("code"));
            assertTrue(notAcked.jsonPath().getString("detail").contains("nothing was changed"), notAcked.asString());
            given().header("Authorization", token).get(base).then().body("fingerprint", equalTo("none"));
            // An agent that got it late (frozen, a slow link) still carries it out: the kept profile follows it on the
            // stream, so the agent ends where the fleet says it is (new-user review, stop 30, H1).
            FleetMessage kept = agent.next(WAIT);
            assertTrue(kept.hasSetFingerprint(), kept.toString());
            assertEquals(Fingerprint.FINGERPRINT_NONE, kept.getSetFingerprint().getFingerprint());
            // no deadline: an agent with a backlog does not skip it as expired behind the command it undoes
            assertEquals(0, kept.getTimeoutMs());
            // The late answer to that command changes nothing either.
            agent.answer(first, true, "");

            // Acked but no result within the command's timeout: 504, still unchanged.
            var unfinished = CompletableFuture.supplyAsync(() -> fingerprint(token, base, "windows"));
            FleetMessage second = agent.next(WAIT);
            assertTrue(!second.getCommandId().equals(first.getCommandId()), "a fresh id per command");
            agent.ack(second);
            Response timedOut = unfinished.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertEquals(504, timedOut.statusCode(), timedOut.asString());
            assertEquals("agent_timeout", timedOut.jsonPath().getString("code"));
            given().header("Authorization", token).get(base).then().body("fingerprint", equalTo("none"));
            FleetMessage keptAgain = agent.next(WAIT);
            assertEquals(Fingerprint.FINGERPRINT_NONE, keptAgain.getSetFingerprint().getFingerprint(), keptAgain.toString());

            // Acked, then answered: 200.
            var answered = CompletableFuture.supplyAsync(() -> fingerprint(token, base, "linux"));
            FleetMessage third = agent.next(WAIT);
            agent.ack(third);
            agent.answer(third, true, "");
            assertEquals(200, answered.get(WAIT.toSeconds(), TimeUnit.SECONDS).statusCode());
            given().header("Authorization", token).get(base).then().body("fingerprint", equalTo("linux"));

            // A reset nobody acks: 503 (the agent may still carry it out, so its cooldown is kept:
            // shouldKeepTheCooldownOfAResetItsAgentDidNotAcknowledge).
            var resetUnacked = CompletableFuture.supplyAsync(() -> reset(token, base, "fast"));
            assertTrue(agent.next(WAIT).hasResetIp());
            Response resetNotAcked = resetUnacked.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertEquals(503, resetNotAcked.statusCode(), resetNotAcked.asString());
            assertEquals("agent_not_acknowledged", resetNotAcked.jsonPath().getString("code"));
            given().header("Authorization", token).get(base).then().body("exit_ip", equalTo("203.0.113.10"))
                    .body("rotation.status", equalTo("failed")).body("rotation.code", equalTo("agent_not_acknowledged"));
            // "nothing was written, retry": no proxy.rotation_failed announces a rotation that never reached the modem
            // (written, if at all, in the transaction that recorded the run, before the 503 was answered)
            assertEquals(0L, rotationFailedEvents(proxyId), "no proxy.rotation_failed for a reset the modem never saw");
            // Unless the agent got it late and ran it after all: its heartbeats carry the modem's new exit IP, and the
            // proxy shows it (and the next verified rotation starts from it) without waiting for a Hello.
            agent.heartbeatWithExitIp("h0", "203.0.113.77");
            await().atMost(WAIT).untilAsserted(() -> given().header("Authorization", token).get(base).then()
                    .body("exit_ip", equalTo("203.0.113.77")));
            endFastCooldown(proxyId); // the cooldown the unacknowledged reset kept
            var retried = CompletableFuture.supplyAsync(() -> reset(token, base, "fast"));
            FleetMessage resetAgain = agent.next(WAIT);
            assertTrue(resetAgain.hasResetIp(), resetAgain.toString());
            agent.ack(resetAgain);
            agent.answerWithExitIp(resetAgain, "203.0.113.50");
            Response rotated = retried.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertEquals(200, rotated.statusCode(), rotated.asString());
            assertEquals("rotated", rotated.jsonPath().getString("status"));
            assertEquals("203.0.113.77", rotated.jsonPath().getString("old_ip"), rotated.asString());
        }
    }

    @Test
    void shouldSendItsPlaceAgainToAProxyItsAgentServesOnAnotherPort() throws Throwable {
        try (TestAgent agent = new TestAgent(GRPC_PORT)) {
            agent.hello(ACKING, "agent-zy", "token-zy", 32100, 32110, "y", "LAX");
            assertTrue(agent.next(WAIT).hasWelcome());
            Placed placed = placeOne(agent);

            // Served where the API says: nothing to do. An agent from before ProxyTraffic.port says 0: no check. Each
            // gets its own heartbeat batch (flushed every 250 ms), so each is checked on its own and not merged into
            // the wrong-port one below.
            agent.heartbeatOnPort(placed.id(), placed.port());
            assertEquals(null, agent.received.poll(1_000, TimeUnit.MILLISECONDS), "served on its port: nothing sent");
            agent.heartbeatOnPort(placed.id(), 0);
            assertEquals(null, agent.received.poll(1_000, TimeUnit.MILLISECONDS), "port not said: nothing sent");
            // Served on another port (a command the fleet gave up on, carried out late; any drift): the heartbeat batch
            // sends the proxy its place again, from the row, without waiting for a Hello the agent never sends.
            agent.heartbeatOnPort(placed.id(), placed.port() + 5);
            assertItsPlaceSentAgain(agent, agent.next(WAIT), placed);
        }
    }

    @Test
    void shouldSendItsPlaceAgainToAnActiveProxyItsAgentStopsListingInTwoHeartbeats() throws Throwable {
        try (TestAgent agent = new TestAgent(GRPC_PORT)) {
            agent.hello(LISTS_ALL_SERVED, "agent-zo", "token-zo", 33100, 33110, "o", "LAX");
            assertTrue(agent.next(WAIT).hasWelcome());
            Placed placed = placeOne(agent);

            // Listed where the API says, then missing from one heartbeat: one heartbeat may have been built before a
            // command ran, so nothing is sent yet.
            agent.heartbeatServing(Fingerprint.FINGERPRINT_NONE, new long[] {placed.id()}, placed.port());
            agent.heartbeatServing(Fingerprint.FINGERPRINT_NONE, new long[0]);
            assertEquals(null, agent.received.poll(1_500, TimeUnit.MILLISECONDS), "one heartbeat without it sends nothing");
            // Missing again (a release the fleet had given up on, carried out late): the place is sent again from the
            // row, without waiting for a Hello a healthy agent never sends (review stop 31, "unserved proxy").
            FleetMessage again = awaitCommandWhile(agent, () -> agent.heartbeatServing(Fingerprint.FINGERPRINT_NONE, new long[0]));
            assertItsPlaceSentAgain(agent, again, placed);
        }
    }

    @Test
    void shouldSendTheStoredFingerprintAgainToAProxyItsAgentListsWithAnother() throws Throwable {
        try (TestAgent agent = new TestAgent(GRPC_PORT)) {
            agent.hello(LISTS_ALL_SERVED, "agent-zp", "token-zp", 33200, 33210, "p", "NYC");
            assertTrue(agent.next(WAIT).hasWelcome());
            Placed placed = placeOne(agent);

            // The profile stored is "none"; the agent presents "windows" (a change the fleet gave up on and sent the
            // stored profile back for, run after it): the place goes out again, carrying the stored profile.
            FleetMessage again = awaitCommandWhile(agent,
                    () -> agent.heartbeatServing(Fingerprint.FINGERPRINT_WINDOWS, new long[] {placed.id()}, placed.port()));
            assertEquals(Fingerprint.FINGERPRINT_NONE, again.getProvisionProxy().getFingerprint(), again.toString());
            assertItsPlaceSentAgain(agent, again, placed);
        }
    }

    @Test
    void shouldNotTakeAMissingProxyForUnservedFromAnAgentThatDoesNotListThemAll() throws Throwable {
        try (TestAgent agent = new TestAgent(GRPC_PORT)) {
            // protocol 2: heartbeats without a complete list (an agent from before protocol 3, or a load tool)
            agent.hello(ACKING, "agent-zq", "token-zq", 33300, 33310, "q", "MIA");
            assertTrue(agent.next(WAIT).hasWelcome());
            provision(agent, IDS.incrementAndGet(), IDS.incrementAndGet());
            for (int i = 0; i < 3; i++) {
                agent.heartbeatServing(Fingerprint.FINGERPRINT_NONE, new long[0]);
                assertEquals(null, agent.received.poll(700, TimeUnit.MILLISECONDS), "nothing sent to a protocol-2 agent");
            }
        }
    }

    @Test
    void shouldSendTheKeptPlaceAgainAfterAMoveItsAgentDidNotAcknowledge() throws Throwable {
        try (TestAgent agent = new TestAgent(GRPC_PORT)) {
            agent.hello(ACKING, "agent-zw", "token-zw", 31800, 31810, "w", "LAX", "NYC");
            assertTrue(agent.next(WAIT).hasWelcome());
            long reseller = IDS.incrementAndGet();
            long proxyId = provision(agent, reseller, IDS.incrementAndGet());
            String token = "Bearer " + InternalTokens.fleet().reseller(reseller);
            String base = "/v1/reseller/proxies/" + proxyId;
            JsonNode before = mapper.readTree(given().header("Authorization", token).get(base).asString());
            String elsewhere = "LAX".equals(before.get("location_id").asText()) ? "NYC" : "LAX";

            var connect = CompletableFuture.supplyAsync(() -> post(token, base + "/connect",
                    "{\"location_id\":\"" + elsewhere + "\"}"));
            FleetMessage move = agent.next(WAIT);
            assertTrue(move.hasProvisionProxy(), move.toString());
            assertFalse(before.get("port").asInt() == move.getProvisionProxy().getPort(), move.toString());
            // not acked (a frozen agent): "nothing was changed", and the proxy is back where it was
            Response refused = connect.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertEquals(503, refused.statusCode(), refused.asString());
            assertEquals("agent_not_acknowledged", refused.jsonPath().getString("code"));
            given().header("Authorization", token).get(base).then().body("status", equalTo("active"))
                    .body("port", equalTo(before.get("port").asInt())).body("username", equalTo(before.get("username").asText()));
            // The agent wakes up and carries out the move it got late; the kept place comes right after it on the
            // stream, so the listener ends on the port and credentials the API shows. Without it the agent served the
            // proxy on the move's port with credentials nobody had (new-user review, stop 30, H1).
            FleetMessage kept = agent.next(WAIT);
            assertTrue(kept.hasProvisionProxy(), kept.toString());
            assertEquals(proxyId, kept.getProvisionProxy().getProxyId());
            assertEquals(before.get("port").asInt(), kept.getProvisionProxy().getPort());
            assertEquals(before.get("username").asText(), kept.getProvisionProxy().getUsername());
            assertEquals(before.get("password").asText(), kept.getProvisionProxy().getPassword());
            assertEquals(0, kept.getTimeoutMs(), "no deadline for the kept state");
            assertFalse(move.getProvisionProxy().getModemId().equals(kept.getProvisionProxy().getModemId()), "back on the modem it left");
            agent.ack(move);
            agent.answer(move, true, "");
            agent.ack(kept);
            agent.answer(kept, true, "");
            given().header("Authorization", token).get(base).then().body("status", equalTo("active"))
                    .body("port", equalTo(before.get("port").asInt())).body("location_id", equalTo(before.get("location_id").asText()));
        }
    }

    @Test
    void shouldWaitOnlyForTheResultOfAnAgentThatDoesNotAck() throws Throwable {
        // An agent from before acks (protocol_version 0) answers slower than the ack timeout: still a 200.
        try (TestAgent agent = new TestAgent(GRPC_PORT)) {
            agent.hello("agent-i", "token-i", 29100, 29110, "i", "NYC");
            assertTrue(agent.next(WAIT).hasWelcome());
            long reseller = IDS.incrementAndGet();
            long order = IDS.incrementAndGet();
            orderPaid(reseller, order);
            FleetMessage provision = agent.next(WAIT);
            Thread.sleep(1_500);
            agent.answer(provision, true, "");
            long proxyId = awaitEvent(EventTypes.PROXY_PROVISIONED, order).get("data").get("proxy_id").asLong();
            String token = "Bearer " + InternalTokens.fleet().reseller(reseller);
            var answered = CompletableFuture.supplyAsync(() -> fingerprint(token, "/v1/reseller/proxies/" + proxyId, "macos"));
            FleetMessage command = agent.next(WAIT);
            Thread.sleep(1_500);
            agent.answer(command, true, "");
            assertEquals(200, answered.get(WAIT.toSeconds(), TimeUnit.SECONDS).statusCode());
        }
    }

    @Test
    void shouldAnswer202ForAResetThatOutlastsTheSyncWaitAndFinishItInTheBackground() throws Throwable {
        try (TestAgent agent = new TestAgent(GRPC_PORT)) {
            agent.hello(ACKING, "agent-j", "token-j", 29200, 29210, "j", "MIA");
            assertTrue(agent.next(WAIT).hasWelcome());
            long reseller = IDS.incrementAndGet();
            long order = IDS.incrementAndGet();
            long proxyId = provision(agent, reseller, order);
            String token = "Bearer " + InternalTokens.fleet().reseller(reseller);
            String base = "/v1/reseller/proxies/" + proxyId;
            given().header("Authorization", token).get(base).then().body("rotation", nullValue());

            // A hard reset that takes longer than the sync wait (a real modem: up to 2 min).
            var accepted = CompletableFuture.supplyAsync(() -> reset(token, base, "hard"));
            FleetMessage hard = agent.next(WAIT);
            assertEquals(ResetMode.RESET_MODE_HARD, hard.getResetIp().getMode());
            assertEquals(150_000, hard.getTimeoutMs(), "a hard reset's own timeout, far past the sync wait");
            agent.ack(hard);
            Response answer = accepted.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertEquals(202, answer.statusCode(), answer.asString());
            assertEquals(proxyId, answer.jsonPath().getLong("proxy_id"));
            assertEquals("rotating", answer.jsonPath().getString("status"));
            assertEquals("hard", answer.jsonPath().getString("mode"));
            assertEquals("203.0.113.10", answer.jsonPath().getString("old_ip"));
            assertTrue(answer.jsonPath().getString("started_at").matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d"),
                    answer.asString());
            given().header("Authorization", token).get(base).then().statusCode(200)
                    .body("exit_ip", equalTo("203.0.113.10"))
                    .body("rotation.status", equalTo("rotating")).body("rotation.old_ip", equalTo("203.0.113.10"));
            given().header("Authorization", token).get("/v1/reseller/proxies").then().statusCode(200)
                    .body("proxies[0].rotation.status", equalTo("rotating"));

            // A second reset while it runs: 409, whatever the mode, and the modem is not asked again.
            given().header("Authorization", token).contentType("application/json").body("{\"mode\":\"fast\"}")
                    .post(base + "/reset").then().statusCode(409).body("code", equalTo("rotation_in_progress"))
                    .body("detail", containsString("still running"));

            // The modem comes back with a new IP: stored, announced with old and new IP, shown on GET.
            agent.answerWithExitIp(hard, "203.0.113.77");
            JsonNode rotated = awaitEvent(EventTypes.PROXY_IP_ROTATED, order).get("data");
            assertEquals("203.0.113.10", rotated.get("old_ip").asText());
            assertEquals("203.0.113.77", rotated.get("new_ip").asText());
            assertEquals("hard", rotated.get("mode").asText());
            await().atMost(WAIT).untilAsserted(() -> given().header("Authorization", token).get(base).then()
                    .body("exit_ip", equalTo("203.0.113.77"))
                    .body("rotation.status", equalTo("rotated")).body("rotation.new_ip", equalTo("203.0.113.77"))
                    .body("rotation.applied_mode", equalTo("hard")).body("rotation.attempts", equalTo(1))
                    .body("rotation.finished_at", org.hamcrest.Matchers.notNullValue()));

            // A background reset that fails: the failure is on GET (code and detail), the exit IP unchanged.
            endFastCooldown(proxyId);
            var acceptedAgain = CompletableFuture.supplyAsync(() -> reset(token, base, "fast"));
            FleetMessage fast = agent.next(WAIT);
            agent.ack(fast);
            assertEquals(202, acceptedAgain.get(WAIT.toSeconds(), TimeUnit.SECONDS).statusCode());
            agent.answer(fast, false, "modem did not come back");
            await().atMost(WAIT).untilAsserted(() -> given().header("Authorization", token).get(base).then()
                    .body("exit_ip", equalTo("203.0.113.77"))
                    .body("rotation.status", equalTo("failed")).body("rotation.code", equalTo("service_unavailable"))
                    .body("rotation.detail", containsString("modem did not come back")));
            // ... and announced: proxy.rotation_failed, the reseller's news of a reset that answered 202.
            JsonNode failed = awaitEvent(EventTypes.PROXY_ROTATION_FAILED, order);
            assertEquals(reseller, failed.get("reseller_id").asLong());
            assertEquals(proxyId, failed.get("data").get("proxy_id").asLong());
            assertEquals("fast", failed.get("data").get("mode").asText());
            assertEquals("203.0.113.77", failed.get("data").get("old_ip").asText());
            assertEquals("The modem could not do it: modem did not come back", failed.get("data").get("reason").asText());
            assertEquals("service_unavailable", failed.get("data").get("code").asText());
            assertEquals(1, failed.get("data").get("attempts").asInt());
            assertEquals(1, seen.stream().filter(e -> e.get("type").asText().equals(EventTypes.PROXY_ROTATION_FAILED)
                    && e.get("data").get("order_id").asLong() == order).count(), "one event for the one failed run");
            assertEquals(1, seen.stream().filter(e -> e.get("type").asText().equals(EventTypes.PROXY_IP_ROTATED)
                    && e.get("data").get("order_id").asLong() == order).count());
            assertTrue(syncWait.compareTo(Duration.ofSeconds(5)) < 0, "the test's sync wait stays short");
        }
    }

    /**
     * A reset the agent did not acknowledge may still run when the agent gets it: a frozen agent woken by SIGCONT ran
     * it seconds later, and the retry the 503 invited hard-reset the modem a second time (new-user review 32, M3a). Its
     * cooldown stands: the retry is 429 with {@code Retry-After}, and the modem is asked once (docs/fleet.md "Cooldown
     * given back").
     */
    @Test
    void shouldKeepTheCooldownOfAResetItsAgentDidNotAcknowledge() throws Throwable {
        try (TestAgent agent = new TestAgent(GRPC_PORT)) {
            welcome(agent, "zm", 33400, "LAX");
            Placed proxy = placeOne(agent);

            var unacked = CompletableFuture.supplyAsync(() -> reset(proxy.token(), proxy.base(), "hard"));
            FleetMessage hard = agent.next(WAIT);
            assertEquals(ResetMode.RESET_MODE_HARD, hard.getResetIp().getMode());
            Response notAcked = unacked.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertError(notAcked, 503, "agent_not_acknowledged", "may still carry it out");
            assertRetryAfter(notAcked, 250, 300); // the hard cooldown (5 min) it keeps

            // At once, in either mode: refused with the modem's cooldowns, and not sent to the modem.
            assertCooldown(reset(proxy.token(), proxy.base(), "hard"), HARD_COOLDOWN, 250, 300);
            assertCooldown(reset(proxy.token(), proxy.base(), "fast"), FAST_COOLDOWN, 1, 10);
            // The agent wakes and carries it out late: the fleet asked the modem for that one reset only.
            agent.ack(hard);
            agent.answerWithExitIp(hard, "203.0.113.77");
            assertNoResetSent(agent);
        }
    }

    /**
     * A reset that certainly did not run gives its cooldown back: here the agent refused it ({@code ok=false}, not
     * {@code attempted}: what every agent built before that field says), and a hard reset at once reaches the modem; the
     * one that then ran holds the cooldown (docs/fleet.md "Cooldown given back").
     */
    @Test
    void shouldGiveTheCooldownBackWhenTheAgentRefusesTheReset() throws Throwable {
        try (TestAgent agent = new TestAgent(GRPC_PORT)) {
            welcome(agent, "zn", 33500, "LAX");
            Placed proxy = placeOne(agent);

            var refused = CompletableFuture.supplyAsync(() -> reset(proxy.token(), proxy.base(), "hard"));
            FleetMessage first = agent.next(WAIT);
            agent.ack(first);
            agent.answer(first, false, "modem busy");
            assertError(refused.get(WAIT.toSeconds(), TimeUnit.SECONDS), 503, "service_unavailable", "modem busy");

            resetTo(agent, proxy, "hard", "203.0.113.78");
            assertCooldown(reset(proxy.token(), proxy.base(), "fast"), FAST_COOLDOWN, 1, 10);
        }
    }

    /**
     * A reset the modem's driver started and failed ({@code ok=false, attempted=true}: a hard reset that "did not come
     * back" may have reset the modem all the same) keeps its cooldown, unlike a refusal: 503 with the agent's error and
     * {@code Retry-After} of the hard cooldown, then 429 in both modes and nothing sent to the modem. The same for a fast
     * reset past the fast cooldown (docs/fleet.md "Cooldown given back").
     */
    @Test
    void shouldKeepTheCooldownWhenTheModemFailedMidReset() throws Throwable {
        try (TestAgent agent = new TestAgent(GRPC_PORT)) {
            welcome(agent, "zj", 33800, "LAX");
            Placed proxy = placeOne(agent);

            var failedHard = CompletableFuture.supplyAsync(() -> reset(proxy.token(), proxy.base(), "hard"));
            FleetMessage hard = agent.next(WAIT);
            assertEquals(ResetMode.RESET_MODE_HARD, hard.getResetIp().getMode(), hard.toString());
            agent.ack(hard);
            agent.answerAttempted(hard, "modem zj0 (equipment id 1) did not come back within 120 s of --reset");
            Response midReset = failedHard.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertError(midReset, 503, "service_unavailable", "did not come back within 120 s of --reset");
            assertTrue(midReset.jsonPath().getString("detail").contains("another hard reset is possible in"), midReset.asString());
            assertRetryAfter(midReset, 250, 300); // the hard cooldown (5 min) it keeps

            assertCooldown(reset(proxy.token(), proxy.base(), "hard"), HARD_COOLDOWN, 250, 300);
            assertCooldown(reset(proxy.token(), proxy.base(), "fast"), FAST_COOLDOWN, 1, 10);
            assertNoResetSent(agent);

            endFastCooldown(proxy.id());
            var failedFast = CompletableFuture.supplyAsync(() -> reset(proxy.token(), proxy.base(), "fast"));
            FleetMessage fast = agent.next(WAIT);
            assertEquals(ResetMode.RESET_MODE_FAST, fast.getResetIp().getMode(), fast.toString());
            agent.ack(fast);
            agent.answerAttempted(fast, "modem zj0 is not connected after a FAST reset");
            Response fastMidReset = failedFast.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertError(fastMidReset, 503, "service_unavailable", "another reset is possible in");
            assertRetryAfter(fastMidReset, 1, 10);
            assertCooldown(reset(proxy.token(), proxy.base(), "fast"), FAST_COOLDOWN, 1, 10);
            assertNoResetSent(agent);
            given().header("Authorization", proxy.token()).get(proxy.base()).then()
                    .body("rotation.status", equalTo("failed")).body("rotation.code", equalTo("service_unavailable"));
        }
    }

    /**
     * The cooldowns are the modem's (new-user review 32, M3b; docs/fleet.md "Cooldowns per modem"): two resellers'
     * proxies on one modem of capacity 2, and a hard reset through the first makes a reset through the second 429 within
     * the cooldowns, with the modem's {@code Retry-After}. A proxy that moves to another modem has that modem's cooldown
     * (never reset: none), and back on the first modem the first modem's again.
     */
    @Test
    void shouldCountAResetThroughAnyProxyOfAModemForEveryProxyOnIt() throws Throwable {
        try (TestAgent agent = new TestAgent(GRPC_PORT)) {
            welcome(agent, "zl", 33600, "LAX", "NYC");
            given().header("Authorization", "Bearer " + InternalTokens.fleet().operator()).contentType("application/json")
                    .body("{\"capacity\": 2}").patch("/internal/agents/agent-zl/modems/zl0").then().statusCode(200);
            Placed first = placeOne(agent, "LAX");
            Placed second = placeOne(agent, "LAX");

            assertEquals("zl0", resetTo(agent, first, "hard", "203.0.113.80").getResetIp().getModemId());
            // the second proxy's exit IP changed with it, and so did its cooldowns
            given().header("Authorization", second.token()).get(second.base()).then().body("exit_ip", equalTo("203.0.113.80"));
            assertCooldown(reset(second.token(), second.base(), "fast"), FAST_COOLDOWN, 1, 10);
            endFastCooldown(second.id());
            assertCooldown(reset(second.token(), second.base(), "hard"), HARD_COOLDOWN, 250, 300);

            connect(agent, second, "NYC");
            assertEquals("zl1", resetTo(agent, second, "hard", "203.0.113.81").getResetIp().getModemId());
            connect(agent, second, "LAX");
            assertCooldown(reset(second.token(), second.base(), "hard"), HARD_COOLDOWN, 250, 300);
        }
    }

    /**
     * A hard reset a run escalated to, and which the agent may still carry out, counts for the modem's hard cooldown as
     * one that changed the IP does: the next fast reset past the fast cooldown does not escalate again (503
     * {@code rotation_failed} with {@code Retry-After}), where it hard-reset the modem a second time within seconds.
     */
    @Test
    void shouldCountAnEscalatedHardResetItsAgentDidNotAcknowledge() throws Throwable {
        try (TestAgent agent = new TestAgent(GRPC_PORT)) {
            welcome(agent, "zk", 33700, "LAX");
            Placed proxy = placeOne(agent);

            var escalated = CompletableFuture.supplyAsync(() -> reset(proxy.token(), proxy.base(), "fast"));
            answerUnchanged(agent, 2);
            FleetMessage hard = agent.next(WAIT);
            assertEquals(ResetMode.RESET_MODE_HARD, hard.getResetIp().getMode(), hard.toString());
            Response notAcked = escalated.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            // 503 agent_not_acknowledged, or 202 on a machine slow enough for the sync wait to pass first
            assertTrue(List.of(202, 503).contains(notAcked.statusCode()), notAcked.asString());
            await().atMost(WAIT).untilAsserted(() -> given().header("Authorization", proxy.token()).get(proxy.base()).then()
                    .body("rotation.status", equalTo("failed")).body("rotation.code", equalTo("agent_not_acknowledged")));

            endFastCooldown(proxy.id());
            var again = CompletableFuture.supplyAsync(() -> reset(proxy.token(), proxy.base(), "fast"));
            answerUnchanged(agent, 2);
            Response failed = again.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertError(failed, 503, "rotation_failed", "did not change");
            assertRetryAfter(failed, 250, 300);
            assertNoResetSent(agent);
        }
    }

    /**
     * A reset changes the exit IP of every proxy on the modem, so every one hears of it (new-user review, M3; docs/fleet.md
     * "Shared modem: every proxy hears of its new IP"): two resellers' proxies on one modem of capacity 2, a reset through
     * the first → {@code proxy.ip_rotated} for each, each to its own reseller, with the same old and new IP ({@code trigger}
     * {@code reset} for the one that asked, {@code modem_reset} for the other, which names nothing of the first); a proxy
     * on another modem of the same agent hears nothing.
     */
    @Test
    void shouldAnnounceAResetToEveryProxyOnTheModemEachToItsOwnReseller() throws Throwable {
        try (TestAgent agent = new TestAgent(GRPC_PORT)) {
            welcome(agent, "zh", 33900, "LAX", "NYC");
            given().header("Authorization", "Bearer " + InternalTokens.fleet().operator()).contentType("application/json")
                    .body("{\"capacity\": 2}").patch("/internal/agents/agent-zh/modems/zh0").then().statusCode(200);
            Placed first = placeOne(agent, "LAX");
            Placed second = placeOne(agent, "LAX");
            Placed elsewhere = placeOne(agent, "NYC");
            assertTrue(first.reseller() != second.reseller(), "two resellers");

            assertEquals("zh0", resetTo(agent, first, "fast", "203.0.113.90").getResetIp().getModemId());
            JsonNode asked = awaitRotated(first.id());
            assertEquals(first.reseller(), asked.get("reseller_id").asLong(), asked.toString());
            assertEquals("203.0.113.10", asked.get("data").get("old_ip").asText(), asked.toString());
            assertEquals("203.0.113.90", asked.get("data").get("new_ip").asText(), asked.toString());
            assertEquals("reset", asked.get("data").get("trigger").asText(), asked.toString());
            JsonNode shared = awaitRotated(second.id());
            assertEquals(second.reseller(), shared.get("reseller_id").asLong(), shared.toString());
            assertEquals("203.0.113.10", shared.get("data").get("old_ip").asText(), shared.toString());
            assertEquals("203.0.113.90", shared.get("data").get("new_ip").asText(), shared.toString());
            assertEquals("fast", shared.get("data").get("mode").asText(), shared.toString());
            assertEquals(1, shared.get("data").get("attempts").asInt(), shared.toString());
            assertEquals("modem_reset", shared.get("data").get("trigger").asText(), shared.toString());
            // the seed's fields and the neutral trigger only: nothing of the other reseller's proxy
            List<String> fields = new ArrayList<>();
            shared.get("data").fieldNames().forEachRemaining(fields::add);
            assertEquals(List.of("proxy_id", "order_id", "old_ip", "new_ip", "mode", "attempts", "trigger"), fields);
            given().header("Authorization", second.token()).get(second.base()).then().body("exit_ip", equalTo("203.0.113.90"));

            // once each, written with the rotation (the outbox holds them by the time the 200 is answered)
            assertEquals(1L, outboxEvents(EventTypes.PROXY_IP_ROTATED, first.id()));
            assertEquals(1L, outboxEvents(EventTypes.PROXY_IP_ROTATED, second.id()));
            assertEquals(0L, outboxEvents(EventTypes.PROXY_IP_ROTATED, elsewhere.id()), "another modem: no event");
        }
    }

    /**
     * The cooldowns count from a reset's end, not its start (new-user review, L5; docs/fleet.md "Cooldowns count from the
     * reset's end"): a reset whose modem answers 11 s after the claim (the test moves the claim's mark back 11 s while the
     * agent holds the reset, past the 10 s fast cooldown) leaves a fast reset right after it 429 for the whole fast
     * cooldown. The same for a reset the modem started and failed: it counts from when the fleet gave up on it.
     */
    @Test
    void shouldCountTheCooldownFromWhenTheResetEnded() throws Throwable {
        try (TestAgent agent = new TestAgent(GRPC_PORT)) {
            welcome(agent, "zi", 34000, "LAX");
            Placed proxy = placeOne(agent);

            var slow = CompletableFuture.supplyAsync(() -> reset(proxy.token(), proxy.base(), "hard"));
            FleetMessage hard = agent.next(WAIT);
            agent.ack(hard);
            endFastCooldown(proxy.id()); // the reset has been running for 11 s
            agent.answerWithExitIp(hard, "203.0.113.91");
            // 200, or 202 on a machine slow enough for the sync wait to pass first
            assertTrue(List.of(200, 202).contains(slow.get(WAIT.toSeconds(), TimeUnit.SECONDS).statusCode()));
            await().atMost(WAIT).untilAsserted(() -> given().header("Authorization", proxy.token()).get(proxy.base()).then()
                    .body("rotation.status", equalTo("rotated")));
            assertCooldown(reset(proxy.token(), proxy.base(), "fast"), FAST_COOLDOWN, 1, 10);
            assertCooldown(reset(proxy.token(), proxy.base(), "hard"), HARD_COOLDOWN, 250, 300);
            assertNoResetSent(agent);

            endFastCooldown(proxy.id());
            var failing = CompletableFuture.supplyAsync(() -> reset(proxy.token(), proxy.base(), "fast"));
            FleetMessage fast = agent.next(WAIT);
            assertEquals(ResetMode.RESET_MODE_FAST, fast.getResetIp().getMode(), fast.toString());
            agent.ack(fast);
            endFastCooldown(proxy.id()); // 11 s into this one too
            agent.answerAttempted(fast, "modem zi0 is not connected after a FAST reset");
            Response failed = failing.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertError(failed, 503, "service_unavailable", "another reset is possible in");
            assertRetryAfter(failed, 1, 10);
            assertCooldown(reset(proxy.token(), proxy.base(), "fast"), FAST_COOLDOWN, 1, 10);
            assertNoResetSent(agent);
        }
    }

    /**
     * A reset through a second proxy of the modem while the first one's hard reset runs (past the fast cooldown) is joined
     * to it by the agent; the first run records the new IP and leaves the second proxy to its own run. When that run
     * fails (here the agent answers it failed; on a modem: the fast reset's timeout ran out while the joined hard reset
     * went on), the second proxy's exit IP has changed all the same: it hears {@code proxy.ip_rotated} of the first
     * run's reset ({@code modem_reset}), not {@code proxy.rotation_failed}, while its run and its answer stay failed
     * (docs/fleet.md "Shared modem: every proxy hears of its new IP"). Before, it heard {@code proxy.rotation_failed}.
     */
    @Test
    void shouldAnnounceTheNewIpToAProxyWhoseJoinedResetFailedAfterTheModemsIpChanged() throws Throwable {
        try (TestAgent agent = new TestAgent(GRPC_PORT)) {
            welcome(agent, "yc", 34200, "LAX");
            given().header("Authorization", "Bearer " + InternalTokens.fleet().operator()).contentType("application/json")
                    .body("{\"capacity\": 2}").patch("/internal/agents/agent-yc/modems/yc0").then().statusCode(200);
            Placed first = placeOne(agent, "LAX");
            Placed second = placeOne(agent, "LAX");

            var slow = CompletableFuture.supplyAsync(() -> reset(first.token(), first.base(), "hard"));
            FleetMessage hard = agent.next(WAIT);
            agent.ack(hard);
            endFastCooldown(first.id()); // the hard reset has been running for 11 s
            var joined = CompletableFuture.supplyAsync(() -> reset(second.token(), second.base(), "fast"));
            FleetMessage fast = agent.next(WAIT);
            assertEquals(ResetMode.RESET_MODE_FAST, fast.getResetIp().getMode(), fast.toString());
            assertEquals("yc0", fast.getResetIp().getModemId());
            agent.ack(fast);

            agent.answerWithExitIp(hard, "203.0.113.94");
            assertTrue(List.of(200, 202).contains(slow.get(WAIT.toSeconds(), TimeUnit.SECONDS).statusCode()));
            await().atMost(WAIT).untilAsserted(() -> given().header("Authorization", first.token()).get(first.base()).then()
                    .body("rotation.status", equalTo("rotated")));
            assertEquals(0L, outboxEvents(EventTypes.PROXY_IP_ROTATED, second.id()), "left to its own run, still rotating");

            agent.answerAttempted(fast, "modem yc0 is not connected after a FAST reset");
            assertTrue(List.of(202, 503).contains(joined.get(WAIT.toSeconds(), TimeUnit.SECONDS).statusCode()));
            JsonNode told = awaitRotated(second.id());
            assertEquals(second.reseller(), told.get("reseller_id").asLong(), told.toString());
            assertEquals("203.0.113.10", told.get("data").get("old_ip").asText(), told.toString());
            assertEquals("203.0.113.94", told.get("data").get("new_ip").asText(), told.toString());
            assertEquals("hard", told.get("data").get("mode").asText(), told.toString());
            assertEquals(1, told.get("data").get("attempts").asInt(), told.toString());
            assertEquals("modem_reset", told.get("data").get("trigger").asText(), told.toString());
            // written in the failed run's transaction: once, and instead of proxy.rotation_failed
            assertEquals(1L, outboxEvents(EventTypes.PROXY_IP_ROTATED, second.id()));
            assertEquals(0L, rotationFailedEvents(second.id()));
            assertEquals(1L, outboxEvents(EventTypes.PROXY_IP_ROTATED, first.id()));
            given().header("Authorization", second.token()).get(second.base()).then().body("exit_ip", equalTo("203.0.113.94"))
                    .body("rotation.status", equalTo("failed")).body("rotation.code", equalTo("service_unavailable"));
        }
    }

    /**
     * Two joined resets of one modem that both succeed record the same new IP: the first tells every proxy on the modem
     * but the second's, the second tells its own proxy only. A third proxy on the modem hears of the new IP once, not
     * once per run (docs/fleet.md "Shared modem: every proxy hears of its new IP", "Once per proxy").
     */
    @Test
    void shouldAnnounceTwoJoinedResetsOnceToAThirdProxyOnTheModem() throws Throwable {
        try (TestAgent agent = new TestAgent(GRPC_PORT)) {
            welcome(agent, "yd", 34300, "LAX");
            given().header("Authorization", "Bearer " + InternalTokens.fleet().operator()).contentType("application/json")
                    .body("{\"capacity\": 3}").patch("/internal/agents/agent-yd/modems/yd0").then().statusCode(200);
            Placed first = placeOne(agent, "LAX");
            Placed second = placeOne(agent, "LAX");
            Placed third = placeOne(agent, "LAX");

            var slow = CompletableFuture.supplyAsync(() -> reset(first.token(), first.base(), "hard"));
            FleetMessage hard = agent.next(WAIT);
            agent.ack(hard);
            endFastCooldown(first.id()); // the hard reset has been running for 11 s
            var joined = CompletableFuture.supplyAsync(() -> reset(second.token(), second.base(), "fast"));
            FleetMessage fast = agent.next(WAIT);
            agent.ack(fast);
            // the agent answers both with the joined reset's outcome
            agent.answerWithExitIp(hard, "203.0.113.95");
            agent.answerWithExitIp(fast, "203.0.113.95");
            assertTrue(List.of(200, 202).contains(slow.get(WAIT.toSeconds(), TimeUnit.SECONDS).statusCode()));
            assertTrue(List.of(200, 202).contains(joined.get(WAIT.toSeconds(), TimeUnit.SECONDS).statusCode()));
            for (Placed proxy : List.of(first, second)) {
                await().atMost(WAIT).untilAsserted(() -> given().header("Authorization", proxy.token()).get(proxy.base())
                        .then().body("rotation.status", equalTo("rotated")));
            }

            assertEquals("modem_reset", awaitRotated(third.id()).get("data").get("trigger").asText());
            assertEquals(1L, outboxEvents(EventTypes.PROXY_IP_ROTATED, first.id()));
            assertEquals(1L, outboxEvents(EventTypes.PROXY_IP_ROTATED, second.id()));
            assertEquals(1L, outboxEvents(EventTypes.PROXY_IP_ROTATED, third.id()), "once, not once per joined run");
        }
    }

    /**
     * A modem whose agent said Hello without an exit IP (stored empty: protobuf has no null) has no "before": its reset
     * is verified by any exit IP the modem then reports, and the answer, {@code rotation} and {@code proxy.ip_rotated}
     * say {@code old_ip} null, which the event's schema allows ({@link #awaitRotated} checks it against the schema;
     * docs/fleet.md "Verified rotation"). Before, all three carried the empty string, which the schema refused.
     */
    @Test
    void shouldAnnounceTheRotationOfAModemWithNoKnownExitIpWithANullOldIp() throws Throwable {
        try (TestAgent agent = new TestAgent(GRPC_PORT)) {
            welcome(agent, "yb", 34100, "LAX");
            Placed proxy = placeOne(agent);
            VertxContextSupport.subscribeAndAwait(() -> sessionFactory.withTransaction(s -> s.createNativeQuery(
                            "update modems set exit_ip = '' where id = (select modem_id from proxies where id = :id)")
                    .setParameter("id", proxy.id()).executeUpdate()));

            var answer = CompletableFuture.supplyAsync(() -> reset(proxy.token(), proxy.base(), "fast"));
            FleetMessage fast = agent.next(WAIT);
            agent.ack(fast);
            agent.answerWithExitIp(fast, "203.0.113.93");
            Response done = answer.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertEquals(200, done.statusCode(), done.asString());
            assertEquals(null, done.jsonPath().getString("old_ip"), done.asString());
            JsonNode rotated = awaitRotated(proxy.id()).get("data");
            assertTrue(rotated.get("old_ip").isNull(), rotated.toString());
            assertEquals("203.0.113.93", rotated.get("new_ip").asText(), rotated.toString());
            assertEquals(1, rotated.get("attempts").asInt(), rotated.toString());
            given().header("Authorization", proxy.token()).get(proxy.base()).then().body("exit_ip", equalTo("203.0.113.93"))
                    .body("rotation.old_ip", nullValue()).body("rotation.new_ip", equalTo("203.0.113.93"));
        }
    }

    /** The start of the 429 {@code reset_cooldown} detail of the cooldown between any two resets of a modem. */
    private static final String FAST_COOLDOWN = "This proxy's modem was reset moments ago";
    /** ... and of the one between two hard resets. */
    private static final String HARD_COOLDOWN = "A hard reset of this proxy's modem is possible again in";

    /** Says Hello as {@code agent-<name>} (protocol 2: acks) with modems {@code <name>0..} in {@code locations}; welcomed. */
    /**
     * A modem's exit IP that changes without a reset of the fleet (the carrier reassigned it), as a heartbeat reports it,
     * reaches every proxy active on the modem as {@code proxy.ip_rotated} with {@code trigger} network, each to its own
     * reseller, from the IP the fleet knew, {@code mode} none and 0 attempts (docs/fleet.md "Network changes: an exit IP
     * no reset made"); a proxy on the agent's other modem hears nothing of it. A heartbeat repeating the IP is no change:
     * no second event. Before, the IP was stored and shown, and nobody heard of it.
     */
    @Test
    void shouldAnnounceAnExitIpAHeartbeatReportsToEveryActiveProxyOnTheModem() throws Throwable {
        try (TestAgent agent = new TestAgent(GRPC_PORT)) {
            welcome(agent, "ya", 34400, "LAX", "NYC");
            given().header("Authorization", "Bearer " + InternalTokens.fleet().operator()).contentType("application/json")
                    .body("{\"capacity\": 2}").patch("/internal/agents/agent-ya/modems/ya0").then().statusCode(200);
            Placed first = placeOne(agent, "LAX");
            Placed second = placeOne(agent, "LAX");
            Placed elsewhere = placeOne(agent, "NYC");
            heardLongAgo("agent-ya");

            agent.heartbeatWithExitIps("ya0", "198.51.100.7", "ya1", "203.0.113.11");
            for (Placed placed : List.of(first, second)) {
                JsonNode event = awaitRotated(placed.id()); // schema-checked
                assertEquals(placed.reseller(), event.get("reseller_id").asLong(), event.toString());
                JsonNode data = event.get("data");
                assertEquals("203.0.113.10", data.get("old_ip").asText(), event.toString());
                assertEquals("198.51.100.7", data.get("new_ip").asText(), event.toString());
                assertEquals("none", data.get("mode").asText(), event.toString());
                assertEquals(0, data.get("attempts").asInt(), event.toString());
                assertEquals("network", data.get("trigger").asText(), event.toString());
                List<String> fields = new ArrayList<>();
                data.fieldNames().forEachRemaining(fields::add);
                assertEquals(List.of("proxy_id", "order_id", "old_ip", "new_ip", "mode", "attempts", "trigger"), fields);
                given().header("Authorization", placed.token()).get(placed.base()).then().body("exit_ip", equalTo("198.51.100.7"));
            }
            assertEquals(0L, outboxEvents(EventTypes.PROXY_IP_ROTATED, elsewhere.id()), "another modem, its IP unchanged");

            // The same IP again is no change; the other modem's change in the same heartbeats shows they were written.
            await().atMost(WAIT).untilAsserted(() -> {
                agent.heartbeatWithExitIps("ya0", "198.51.100.7", "ya1", "198.51.100.8");
                assertEquals(1L, outboxEvents(EventTypes.PROXY_IP_ROTATED, elsewhere.id()));
            });
            JsonNode other = awaitRotated(elsewhere.id());
            assertEquals("203.0.113.11", other.get("data").get("old_ip").asText(), other.toString());
            assertEquals("network", other.get("data").get("trigger").asText(), other.toString());
            assertEquals(1L, outboxEvents(EventTypes.PROXY_IP_ROTATED, first.id()), "announced once");
            assertEquals(1L, outboxEvents(EventTypes.PROXY_IP_ROTATED, second.id()), "announced once");
        }
    }

    /**
     * An agent that says Hello again after its modem reconnected with another exit IP: every proxy active on it hears
     * {@code proxy.ip_rotated} (network) from the IP the fleet knew, in the Hello's transaction; a Hello repeating the IP
     * announces nothing more (docs/fleet.md "Network changes: an exit IP no reset made").
     */
    @Test
    void shouldAnnounceAnExitIpAHelloReportsToEveryActiveProxyOnTheModem() throws Throwable {
        Placed placed;
        try (TestAgent agent = new TestAgent(GRPC_PORT)) {
            welcome(agent, "ye", 34500, "LAX");
            placed = placeOne(agent, "LAX");
        }
        for (int hello = 0; hello < 2; hello++) {
            try (TestAgent again = new TestAgent(GRPC_PORT)) {
                again.helloWithExitIps(ACKING, "agent-ye", "token-ye", 34500, 34510, "ye", new String[] {"LAX"},
                        new String[] {"198.51.100.30"});
                awaitWelcome(again);
                // the event is written with the IP, in the Hello's transaction, before the Welcome
                given().header("Authorization", placed.token()).get(placed.base()).then().body("exit_ip", equalTo("198.51.100.30"));
                assertEquals(1L, outboxEvents(EventTypes.PROXY_IP_ROTATED, placed.id()), "once, however many Hellos say it");
            }
        }
        JsonNode event = awaitRotated(placed.id());
        assertEquals(placed.reseller(), event.get("reseller_id").asLong(), event.toString());
        assertEquals("203.0.113.10", event.get("data").get("old_ip").asText(), event.toString());
        assertEquals("198.51.100.30", event.get("data").get("new_ip").asText(), event.toString());
        assertEquals("none", event.get("data").get("mode").asText(), event.toString());
        assertEquals(0, event.get("data").get("attempts").asInt(), event.toString());
        assertEquals("network", event.get("data").get("trigger").asText(), event.toString());
    }

    /**
     * An exit IP the fleet did not know before (a Hello without one stores the empty string) is not a change a reseller
     * saw: the first IP a heartbeat reports is stored and shown, and not announced (docs/fleet.md "Network changes: an
     * exit IP no reset made").
     */
    @Test
    void shouldNotAnnounceTheFirstExitIpOfAModemThatHadNone() throws Throwable {
        try (TestAgent agent = new TestAgent(GRPC_PORT)) {
            agent.helloWithExitIps(ACKING, "agent-yf", "token-yf", 34600, 34610, "yf", new String[] {"LAX"}, new String[] {""});
            awaitWelcome(agent);
            Placed placed = placeOne(agent, "LAX");
            given().header("Authorization", placed.token()).get(placed.base()).then().body("exit_ip", equalTo(""));
            heardLongAgo("agent-yf");

            agent.heartbeatWithExitIps("yf0", "198.51.100.40");
            await().atMost(WAIT).untilAsserted(() -> given().header("Authorization", placed.token()).get(placed.base()).then()
                    .body("exit_ip", equalTo("198.51.100.40")));
            // written in the transaction that stored the IP, so none now means none at all
            assertEquals(0L, outboxEvents(EventTypes.PROXY_IP_ROTATED, placed.id()), "no known IP before: nothing announced");
        }
    }

    /**
     * While a reset of the modem runs, an exit IP a heartbeat reports is left to the reset: it is not written and not
     * announced as a network change, and the reset's own {@code proxy.ip_rotated} (reset and modem_reset, from the IP
     * the run started from) is the only one each proxy hears; the heartbeats repeating the reset's IP afterwards are no
     * change (docs/fleet.md "Network changes: an exit IP no reset made").
     */
    @Test
    void shouldLeaveAnExitIpAHeartbeatReportsDuringAResetOfTheModemToTheReset() throws Throwable {
        try (TestAgent agent = new TestAgent(GRPC_PORT)) {
            welcome(agent, "yg", 34700, "LAX", "NYC");
            given().header("Authorization", "Bearer " + InternalTokens.fleet().operator()).contentType("application/json")
                    .body("{\"capacity\": 2}").patch("/internal/agents/agent-yg/modems/yg0").then().statusCode(200);
            Placed first = placeOne(agent, "LAX");
            Placed second = placeOne(agent, "LAX");
            Placed witness = placeOne(agent, "NYC");

            var answer = CompletableFuture.supplyAsync(() -> reset(first.token(), first.base(), "fast"));
            FleetMessage resetIp = agent.next(WAIT);
            assertEquals("yg0", resetIp.getResetIp().getModemId(), resetIp.toString());
            agent.ack(resetIp);
            heardLongAgo("agent-yg"); // only the reset's being in flight holds the IP back
            // the modem already has its new IP and the agent's heartbeat says so before the reset's result
            agent.heartbeatWithExitIps("yg0", "198.51.100.50", "yg1", "198.51.100.51");
            awaitRotated(witness.id()); // the other modem's change: that heartbeat has been written
            given().header("Authorization", first.token()).get(first.base()).then().body("exit_ip", equalTo("203.0.113.10"));
            assertEquals(0L, outboxEvents(EventTypes.PROXY_IP_ROTATED, first.id()), "left to the reset in flight");
            assertEquals(0L, outboxEvents(EventTypes.PROXY_IP_ROTATED, second.id()), "left to the reset in flight");

            agent.answerWithExitIp(resetIp, "198.51.100.50");
            Response rotated = answer.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertEquals(200, rotated.statusCode(), rotated.asString());
            JsonNode asked = awaitRotated(first.id());
            assertEquals("reset", asked.get("data").get("trigger").asText(), asked.toString());
            assertEquals("203.0.113.10", asked.get("data").get("old_ip").asText(), asked.toString());
            assertEquals("198.51.100.50", asked.get("data").get("new_ip").asText(), asked.toString());
            JsonNode shared = awaitRotated(second.id());
            assertEquals("modem_reset", shared.get("data").get("trigger").asText(), shared.toString());
            assertEquals("203.0.113.10", shared.get("data").get("old_ip").asText(), shared.toString());

            // after the reset recorded it, heartbeats repeating the IP are no change (the witness's second change shows
            // they were written)
            await().atMost(WAIT).untilAsserted(() -> {
                agent.heartbeatWithExitIps("yg0", "198.51.100.50", "yg1", "198.51.100.52");
                assertEquals(2L, outboxEvents(EventTypes.PROXY_IP_ROTATED, witness.id()));
            });
            assertEquals(1L, outboxEvents(EventTypes.PROXY_IP_ROTATED, first.id()), "the reset's event only");
            assertEquals(1L, outboxEvents(EventTypes.PROXY_IP_ROTATED, second.id()), "the reset's event only");
        }
    }

    /**
     * Moves the agent's modems' last write 11 s back, as if its Hello and its placements were a heartbeat interval ago:
     * the fleet's times are whole seconds, and a heartbeat in the same second as the row's last write is not newer than
     * it, so it would be skipped for that reason alone.
     */
    private void heardLongAgo(String agentId) throws Throwable {
        VertxContextSupport.subscribeAndAwait(() -> sessionFactory.withTransaction(s -> s.createNativeQuery(
                        "update modems set updated_at = updated_at - interval '11 seconds' where agent_id = :agent")
                .setParameter("agent", agentId).executeUpdate()));
    }

    /** Waits for the Welcome that answers a Hello, passing over any command sent before it. */
    private static void awaitWelcome(TestAgent agent) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            if (agent.next(WAIT).hasWelcome()) {
                return;
            }
        }
        throw new AssertionError("No Welcome within " + WAIT);
    }

    private static void welcome(TestAgent agent, String name, int portStart, String... locations) throws InterruptedException {
        agent.hello(ACKING, "agent-" + name, "token-" + name, portStart, portStart + 10, name, locations);
        assertTrue(agent.next(WAIT).hasWelcome());
    }

    /** A reset of {@code placed} its agent acks and answers with {@code newIp}: 200; the ResetIp the agent got. */
    private static FleetMessage resetTo(TestAgent agent, Placed placed, String mode, String newIp) throws Exception {
        var answer = CompletableFuture.supplyAsync(() -> reset(placed.token(), placed.base(), mode));
        FleetMessage resetIp = agent.next(WAIT);
        assertEquals("hard".equals(mode) ? ResetMode.RESET_MODE_HARD : ResetMode.RESET_MODE_FAST, resetIp.getResetIp().getMode(),
                resetIp.toString());
        agent.ack(resetIp);
        agent.answerWithExitIp(resetIp, newIp);
        Response rotated = answer.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertEquals(200, rotated.statusCode(), rotated.asString());
        return resetIp;
    }

    /** {@code answer} is 429 {@code reset_cooldown} whose detail starts with {@code detail}, {@code Retry-After} in range. */
    private static void assertCooldown(Response answer, String detail, long atLeast, long atMost) {
        assertError(answer, 429, "reset_cooldown", detail);
        assertTrue(answer.jsonPath().getString("detail").startsWith(detail), answer.asString());
        assertRetryAfter(answer, atLeast, atMost);
    }

    /** {@code answer} is the error {@code status} with {@code code} and a detail that contains {@code detail}. */
    private static void assertError(Response answer, int status, String code, String detail) {
        assertEquals(status, answer.statusCode(), answer.asString());
        assertEquals(code, answer.jsonPath().getString("code"), answer.asString());
        assertTrue(answer.jsonPath().getString("detail").contains(detail), answer.asString());
    }

    /** The fleet sends the agent no further ResetIp (within half a second). */
    private static void assertNoResetSent(TestAgent agent) throws InterruptedException {
        FleetMessage more = agent.received.poll(500, TimeUnit.MILLISECONDS);
        assertTrue(more == null || !more.hasResetIp(), "no other reset of the modem: " + more);
    }

    /** Acks and answers the next {@code resets} fast ResetIps with the exit IP the modem had (203.0.113.10). */
    private static void answerUnchanged(TestAgent agent, int resets) throws InterruptedException {
        for (int i = 0; i < resets; i++) {
            FleetMessage fast = agent.next(WAIT);
            assertEquals(ResetMode.RESET_MODE_FAST, fast.getResetIp().getMode(), fast.toString());
            agent.ack(fast);
            agent.answerWithExitIp(fast, "203.0.113.10");
        }
    }

    /** {@code answer} carries {@code Retry-After} of {@code atLeast} to {@code atMost} seconds. */
    private static void assertRetryAfter(Response answer, long atLeast, long atMost) {
        String header = answer.header("Retry-After");
        assertTrue(header != null && Long.parseLong(header) >= atLeast && Long.parseLong(header) <= atMost,
                "Retry-After " + header + " not in " + atLeast + ".." + atMost + " s: " + answer.asString());
    }

    /** A connect of {@code placed} to {@code locationId} on the same agent, which opens the new listener: 200. */
    private static void connect(TestAgent agent, Placed placed, String locationId) throws Exception {
        var answer = CompletableFuture.supplyAsync(() -> post(placed.token(), placed.base() + "/connect",
                "{\"location_id\":\"" + locationId + "\"}"));
        FleetMessage provision = agent.next(WAIT);
        assertTrue(provision.hasProvisionProxy(), provision.toString());
        agent.ack(provision);
        agent.answer(provision, true, "");
        Response moved = answer.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertEquals(200, moved.statusCode(), moved.asString());
        assertEquals(locationId, moved.jsonPath().getString("location_id"));
    }

    @Test
    void shouldSendTheStoredFingerprintWheneverItReopensTheListener() throws Throwable {
        long reseller = IDS.incrementAndGet();
        long order = IDS.incrementAndGet();
        String token = "Bearer " + InternalTokens.fleet().reseller(reseller);
        long proxyId;
        String base;
        try (TestAgent agent = new TestAgent(GRPC_PORT)) {
            agent.hello(ACKING, "agent-l", "token-l", 29400, 29410, "l", "NYC");
            assertTrue(agent.next(WAIT).hasWelcome());
            orderPaid(reseller, order);
            FleetMessage first = agent.next(WAIT);
            assertTrue(first.getProvisionProxy().hasFingerprint(), "provisioning names the fingerprint too: " + first);
            assertEquals(Fingerprint.FINGERPRINT_NONE, first.getProvisionProxy().getFingerprint());
            agent.ack(first);
            agent.answer(first, true, "");
            proxyId = awaitEvent(EventTypes.PROXY_PROVISIONED, order).get("data").get("proxy_id").asLong();
            base = "/v1/reseller/proxies/" + proxyId;

            // windows while it is active (SetFingerprint), then disconnected: the listener is released.
            var windows = CompletableFuture.supplyAsync(() -> fingerprint(token, base, "windows"));
            FleetMessage set = agent.next(WAIT);
            assertEquals(Fingerprint.FINGERPRINT_WINDOWS, set.getSetFingerprint().getFingerprint());
            agent.ack(set);
            agent.answer(set, true, "");
            assertEquals(200, windows.get(WAIT.toSeconds(), TimeUnit.SECONDS).statusCode());
            var disconnected = CompletableFuture.supplyAsync(() -> post(token, base + "/disconnect", "{}"));
            FleetMessage release = agent.next(WAIT);
            assertTrue(release.hasReleaseProxy(), release.toString());
            agent.ack(release);
            agent.answer(release, true, "");
            assertEquals(200, disconnected.get(WAIT.toSeconds(), TimeUnit.SECONDS).statusCode());

            // connect after disconnect: the new listener is opened with the stored windows.
            var connected = CompletableFuture.supplyAsync(() -> post(token, base + "/connect", "{\"location_id\":\"NYC\"}"));
            FleetMessage reopen = agent.next(WAIT);
            assertTrue(reopen.hasProvisionProxy(), reopen.toString());
            assertEquals(proxyId, reopen.getProvisionProxy().getProxyId());
            assertEquals(Fingerprint.FINGERPRINT_WINDOWS, reopen.getProvisionProxy().getFingerprint());
            agent.ack(reopen);
            agent.answer(reopen, true, "");
            assertEquals(200, connected.get(WAIT.toSeconds(), TimeUnit.SECONDS).statusCode());

            // Changed while disconnected: accepted as the profile the proxy is to have, stored only (no listener to
            // tell: nothing goes to the agent), and sent with the connect. A reset is 409 meanwhile: it acts on a modem
            // now, and a disconnected proxy has none (docs/fleet.md "A proxy without a listener: fingerprint yes, reset no").
            var disconnectedAgain = CompletableFuture.supplyAsync(() -> post(token, base + "/disconnect", "{}"));
            FleetMessage releaseAgain = agent.next(WAIT);
            agent.ack(releaseAgain);
            agent.answer(releaseAgain, true, "");
            assertEquals(200, disconnectedAgain.get(WAIT.toSeconds(), TimeUnit.SECONDS).statusCode());
            Response stored = fingerprint(token, base, "macos");
            assertEquals(200, stored.statusCode(), stored.asString());
            assertEquals("macos", stored.jsonPath().getString("fingerprint"), stored.asString());
            assertEquals(null, agent.received.poll(300, TimeUnit.MILLISECONDS), "nothing sent to the agent");
            given().header("Authorization", token).get(base).then().body("status", equalTo("disconnected"))
                    .body("fingerprint", equalTo("macos"));
            assertError(reset(token, base, "fast"), 409, "conflict", "Proxy is disconnected");
            var connectedAgain = CompletableFuture.supplyAsync(() -> post(token, base + "/connect", "{\"location_id\":\"NYC\"}"));
            FleetMessage reopenAgain = agent.next(WAIT);
            assertEquals(Fingerprint.FINGERPRINT_MACOS, reopenAgain.getProvisionProxy().getFingerprint(), reopenAgain.toString());
            agent.ack(reopenAgain);
            agent.answer(reopenAgain, true, "");
            assertEquals(200, connectedAgain.get(WAIT.toSeconds(), TimeUnit.SECONDS).statusCode());
        }
        // The agent restarts serving nothing: the reconciliation after its Hello re-opens the proxy with macos.
        try (TestAgent restarted = new TestAgent(GRPC_PORT)) {
            restarted.hello(ACKING, "agent-l", "token-l", 29400, 29410, "l", "NYC");
            assertTrue(restarted.next(WAIT).hasWelcome());
            FleetMessage reconciled = restarted.next(WAIT);
            assertTrue(reconciled.hasProvisionProxy(), reconciled.toString());
            assertEquals(proxyId, reconciled.getProvisionProxy().getProxyId());
            assertEquals(Fingerprint.FINGERPRINT_MACOS, reconciled.getProvisionProxy().getFingerprint());
            restarted.ack(reconciled);
            restarted.answer(reconciled, true, "");
            given().header("Authorization", token).get(base).then().statusCode(200).body("fingerprint", equalTo("macos"));
        }
    }

    @Test
    void shouldTimeOutAForwardedCommandAsTheReplicaHoldingTheAgentWould() throws Throwable {
        try (TestAgent agent = new TestAgent(GRPC_PORT)) {
            agent.hello(ACKING, "agent-k", "token-k", 29300, 29310, "k", "LAX");
            assertTrue(agent.next(WAIT).hasWelcome());
            long reseller = IDS.incrementAndGet();
            long order = IDS.incrementAndGet();
            long proxyId = provision(agent, reseller, order);
            String token = "Bearer " + InternalTokens.fleet().reseller(reseller);
            byte[] command = FleetMessage.newBuilder().setSetFingerprint(SetFingerprint.newBuilder()
                    .setProxyId(proxyId).setFingerprint(Fingerprint.FINGERPRINT_LINUX)).build().toByteArray();

            // The hop: not acked → 503 agent_not_acknowledged; acked, no result in timeout_ms → 504 agent_timeout.
            var notAcked = CompletableFuture.supplyAsync(() -> hop(token, command, 5_000));
            assertEquals(5_000, agent.next(WAIT).getTimeoutMs());
            Response first = notAcked.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertEquals(503, first.statusCode(), first.asString());
            assertEquals("agent_not_acknowledged", first.jsonPath().getString("code"));
            var noResult = CompletableFuture.supplyAsync(() -> hop(token, command, 1_500));
            FleetMessage acked = agent.next(WAIT);
            agent.ack(acked);
            Response second = noResult.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertEquals(504, second.statusCode(), second.asString());
            assertEquals("agent_timeout", second.jsonPath().getString("code"));
            // acked and answered: the agent's result, byte for byte
            var answered = CompletableFuture.supplyAsync(() -> hop(token, command, 5_000));
            FleetMessage third = agent.next(WAIT);
            agent.ack(third);
            agent.answer(third, true, "");
            Response ok = answered.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertEquals(200, ok.statusCode());
            assertEquals(third.getCommandId(), CommandResult.parseFrom(ok.asByteArray()).getCommandId());

            // Send only (a reverted connect's kept state, from the replica that reverted it): 204 once it is on the
            // stream, without waiting for the agent, and with no deadline; 503 where the stream is not.
            given().header("Authorization", token).contentType("application/x-protobuf").body(command)
                    .post("/internal/agent-commands/agent-k/send").then().statusCode(204);
            FleetMessage sent = agent.next(WAIT);
            assertTrue(sent.hasSetFingerprint(), sent.toString());
            assertEquals(0, sent.getTimeoutMs());
            given().header("Authorization", token).contentType("application/x-protobuf").body(command)
                    .post("/internal/agent-commands/agent-nowhere/send").then().statusCode(503)
                    .body(containsString("agent_not_connected_here"));
        }
    }

    private static Response hop(String token, byte[] command, long timeoutMs) {
        return given().header("Authorization", token).contentType("application/x-protobuf").body(command)
                .post("/internal/agent-commands/agent-k?timeout_ms=" + timeoutMs);
    }

    private static Response fingerprint(String token, String base, String fingerprint) {
        return given().header("Authorization", token).contentType("application/json")
                .body("{\"fingerprint\":\"" + fingerprint + "\"}").post(base + "/fingerprint");
    }

    private static Response post(String token, String path, String json) {
        return given().header("Authorization", token).contentType("application/json").body(json).post(path);
    }

    private static Response reset(String token, String base, String mode) {
        return given().header("Authorization", token).contentType("application/json")
                .body("{\"mode\":\"" + mode + "\"}").post(base + "/reset");
    }

    /** A proxy the fleet placed on a test agent: its id, its reseller, the reseller's bearer token and its API view. */
    private record Placed(long id, long reseller, String token, JsonNode view) {
        int port() {
            return view.get("port").asInt();
        }

        String base() {
            return "/v1/reseller/proxies/" + id;
        }
    }

    /** Has the fleet place one proxy on {@code agent} (welcomed already) for a new reseller. */
    private Placed placeOne(TestAgent agent) throws Exception {
        return placeOne(agent, null);
    }

    /** {@link #placeOne(TestAgent)} in {@code locationId} (null: anywhere). */
    private Placed placeOne(TestAgent agent, String locationId) throws Exception {
        long reseller = IDS.incrementAndGet();
        long proxyId = provision(agent, reseller, IDS.incrementAndGet(), locationId);
        String token = "Bearer " + InternalTokens.fleet().reseller(reseller);
        return new Placed(proxyId, reseller, token,
                mapper.readTree(given().header("Authorization", token).get("/v1/reseller/proxies/" + proxyId).asString()));
    }

    /** {@code again} is {@code placed}'s place from its row (id, port, credentials) sent again; acked and answered ok. */
    private static void assertItsPlaceSentAgain(TestAgent agent, FleetMessage again, Placed placed) {
        assertTrue(again.hasProvisionProxy(), again.toString());
        assertEquals(placed.id(), again.getProvisionProxy().getProxyId());
        assertEquals(placed.port(), again.getProvisionProxy().getPort());
        assertEquals(placed.view().get("username").asText(), again.getProvisionProxy().getUsername());
        assertEquals(placed.view().get("password").asText(), again.getProvisionProxy().getPassword());
        agent.ack(again);
        agent.answer(again, true, "");
    }

    /** Sends {@code heartbeat} every 400 ms until the fleet sends a command (at most {@link #WAIT}); that command. */
    private static FleetMessage awaitCommandWhile(TestAgent agent, Runnable heartbeat) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            heartbeat.run();
            FleetMessage message = agent.received.poll(400, TimeUnit.MILLISECONDS);
            if (message != null) {
                return message;
            }
        }
        throw new AssertionError("The fleet sent nothing within " + WAIT);
    }

    private long provision(TestAgent agent, long reseller, long order) throws Exception {
        return provision(agent, reseller, order, null);
    }

    /**
     * Pays an order for {@code locationId} (null: anywhere), acks and confirms the agent's ProvisionProxy, and returns
     * the active proxy's id.
     */
    private long provision(TestAgent agent, long reseller, long order, String locationId) throws Exception {
        orderPaid(reseller, order, locationId);
        FleetMessage provision = agent.next(WAIT);
        assertTrue(provision.hasProvisionProxy(), provision.toString());
        assertEquals(10_000, provision.getTimeoutMs());
        agent.ack(provision);
        agent.answer(provision, true, "");
        return awaitEvent(EventTypes.PROXY_PROVISIONED, order).get("data").get("proxy_id").asLong();
    }

    /** Moves the last reset of the proxy's modem 11 s back: past the fast cooldown (10 s), inside the hard one. */
    private void endFastCooldown(long proxyId) throws Throwable {
        VertxContextSupport.subscribeAndAwait(() -> sessionFactory.withTransaction(s -> s.createNativeQuery(
                        "update modems set last_reset_at = last_reset_at - interval '11 seconds'"
                                + " where id = (select modem_id from proxies where id = :id)")
                .setParameter("id", proxyId).executeUpdate()));
    }

    private void orderPaid(long reseller, long orderId) throws Exception {
        orderPaid(reseller, orderId, null);
    }

    /** A purchase's order.paid wanting {@code locationId} (null: anywhere). */
    private void orderPaid(long reseller, long orderId, String locationId) throws Exception {
        String json = EventJson.write(mapper, EventEnvelope.of(EventTypes.ORDER_PAID, reseller, new OrderPaid(orderId, 1, 1,
                "Multi Hop Proxy", "1 Day", new BigDecimal("10.00"), "day", 1, LocalDateTime.of(2026, 5, 25, 12, 0),
                null, locationId)));
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

    /** proxy.rotation_failed rows the fleet's outbox holds for {@code proxyId} (published or not). */
    private long rotationFailedEvents(long proxyId) throws Throwable {
        return outboxEvents(EventTypes.PROXY_ROTATION_FAILED, proxyId);
    }

    /** Rows of event {@code type} the fleet's outbox holds for {@code proxyId} (published or not). */
    private long outboxEvents(String type, long proxyId) throws Throwable {
        return VertxContextSupport.subscribeAndAwait(() -> sessionFactory.withSession(s -> s.createNativeQuery(
                        "select count(*) from outbox_events where topic = :topic and payload like :proxy", Long.class)
                .setParameter("topic", type)
                .setParameter("proxy", "%\"proxy_id\":" + proxyId + ",%").getSingleResult()));
    }

    /** The first proxy.ip_rotated consumed for {@code proxyId} (checked against its schema), waiting for it. */
    private JsonNode awaitRotated(long proxyId) {
        await().atMost(WAIT).until(() -> {
            for (ConsumerRecord<String, String> record : events.poll(Duration.ofMillis(300))) {
                EventSchemas.assertValid(record.value());
                seen.add(mapper.readTree(record.value()));
            }
            return rotatedOf(proxyId) != null;
        });
        return rotatedOf(proxyId);
    }

    private JsonNode rotatedOf(long proxyId) {
        return seen.stream().filter(e -> e.get("type").asText().equals(EventTypes.PROXY_IP_ROTATED)
                && e.get("data").get("proxy_id").asLong() == proxyId).findFirst().orElse(null);
    }
}
