package com.proxyvault.agent.link;

import com.proxyvault.agent.proxy.RawHttpClient;
import com.proxyvault.agent.proxy.Socks5Client;
import com.proxyvault.agent.proxy.TestOrigin;
import com.proxyvault.contracts.agent.v1.CommandResult;
import com.proxyvault.agent.proxy.ProxyListener;
import com.proxyvault.contracts.agent.v1.Fingerprint;
import com.proxyvault.contracts.agent.v1.FleetMessage;
import com.proxyvault.contracts.agent.v1.Hello;
import com.proxyvault.contracts.agent.v1.ModemInfo;
import com.proxyvault.contracts.agent.v1.ModemStatus;
import com.proxyvault.contracts.agent.v1.ProvisionProxy;
import com.proxyvault.contracts.agent.v1.ReleaseProxy;
import com.proxyvault.contracts.agent.v1.ResetIp;
import com.proxyvault.contracts.agent.v1.ResetMode;
import com.proxyvault.contracts.agent.v1.ServedProxy;
import com.proxyvault.contracts.agent.v1.SetFingerprint;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import static com.proxyvault.agent.proxy.RawHttpClient.basic;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The agent as it runs, against a fake fleet in this JVM: Hello, Welcome, heartbeats, commands,
 * reconnects, readiness. Proxies it opens are exercised with real sockets.
 */
@QuarkusTest
@WithTestResource(FakeFleetResource.class)
@WithTestResource(TestOriginResource.class)
class FleetLinkTest {

    private static final Duration PATIENCE = Duration.ofSeconds(30);
    private static final int RANGE_START = 20000;
    private static final int RANGE_END = 20999;

    @FakeFleetResource.InjectFakeFleet
    FakeFleet fleet;

    @TestOriginResource.InjectTestOrigin
    TestOrigin origin;

    @jakarta.inject.Inject
    CommandHandler handler;

    @jakarta.inject.Inject
    com.proxyvault.agent.modems.Modems modems;

    @jakarta.inject.Inject
    com.proxyvault.agent.proxy.ProxyListeners listeners;

    @jakarta.inject.Inject
    com.proxyvault.agent.fingerprint.FingerprintShaper fingerprints;

    @BeforeEach
    void waitForTheAgent() {
        fleet.welcomeAgents(true);
        await().atMost(PATIENCE).until(() -> fleet.agentConnected() && isReady());
    }

    @Test
    void shouldSayHelloWithItsIdentityModemsAndPortRange() {
        Hello hello = fleet.latestHello();

        assertEquals("agent-local-1", hello.getAgentId());
        assertEquals("dev-agent-token", hello.getToken());
        assertEquals("127.0.0.1", hello.getPublicHost());
        assertFalse(hello.getAgentVersion().isEmpty());
        assertEquals(RANGE_START, hello.getPortRangeStart());
        assertEquals(RANGE_END, hello.getPortRangeEnd());
        assertEquals(List.of("lax-1", "lax-2", "nyc-1", "nyc-2", "mia-1", "mia-2"),
                hello.getModemsList().stream().map(ModemInfo::getModemId).toList());
        assertEquals(List.of("LAX", "LAX", "NYC", "NYC", "MIA", "MIA"),
                hello.getModemsList().stream().map(ModemInfo::getLocationId).toList());
        for (ModemInfo modem : hello.getModemsList()) {
            assertFalse(modem.getIs5G());
            assertTrue(modem.getExitIp().startsWith("203.0.113."), modem.getExitIp());
        }
    }

    @Test
    void shouldAckACommandOnArrivalAndSendItsResultWhenTheModemIsDone() throws Exception {
        assertEquals(AgentReport.PROTOCOL_VERSION, fleet.latestHello().getProtocolVersion(), "Hello says the agent acks");
        // The modem's reset is held until the ack has arrived: were the ack to wait for the modem, it would
        // never come (no timing assumption, unlike "the ack came N ms before the result").
        var modem = (com.proxyvault.agent.modems.SimulatedModemDriver) modems.find("mia-1").orElseThrow();
        modem.holdResets();
        try {
            String id = fleet.sendCommand(FleetMessage.newBuilder().setTimeoutMs(10_000)
                    .setResetIp(ResetIp.newBuilder().setModemId("mia-1").setMode(ResetMode.RESET_MODE_HARD)));
            long acked = fleet.ackedAt(id);
            assertFalse(fleet.hasResult(id), "no result while the modem is still resetting");
            modem.releaseResets();
            CommandResult result = fleet.result(id);

            assertTrue(result.getOk(), result.getError());
            assertTrue(fleet.answeredAt(id) > acked, "the ack comes first");
        } finally {
            modem.releaseResets();
        }
    }

    @Test
    void shouldAckEveryQueuedCommandAtOnceAndAnswerEachInOrder() throws Exception {
        // 20 provisions sent back to back: all acked, each answered once, in the order sent.
        List<String> ids = new java.util.ArrayList<>();
        List<Integer> ports = new java.util.ArrayList<>();
        for (int i = 0; i < 20; i++) {
            int port;
            do {
                port = freePortInRange();
            } while (ports.contains(port));
            ports.add(port);
            ids.add(fleet.sendCommand(provision(300 + i, "nyc-1", port, "cust-q" + i, "pw-q" + i).setTimeoutMs(10_000)));
        }
        long previous = 0;
        for (String id : ids) {
            assertTrue(fleet.ackedAt(id) > 0);
            assertTrue(fleet.result(id).getOk(), id);
            long answered = fleet.answeredAt(id);
            assertTrue(answered >= previous, "results in arrival order");
            previous = answered;
        }
        for (int i = 0; i < 20; i++) {
            assertTrue(fleet.command(FleetMessage.newBuilder().setReleaseProxy(ReleaseProxy.newBuilder().setProxyId(300 + i))).getOk());
        }
    }

    @Test
    void shouldAnswerACommandThatWaitedPastItsTimeoutAsExpiredWithoutCarryingItOut() throws Exception {
        int port = freePortInRange();
        FleetMessage late = provision(121, "lax-2", port, "cust-121", "pw-121").setCommandId("late-1").setTimeoutMs(1_000).build();

        // arrived 5 s ago, the fleet waits 1 s: it has given up, so the agent must not open the port now
        CommandResult expired = handler.handle(late, handler.nowMillis() - 5_000).await().atMost(PATIENCE);
        assertFalse(expired.getOk());
        assertEquals("late-1", expired.getCommandId());
        assertTrue(expired.getError().contains("expired"), expired.getError());
        assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", port).close());

        // the same command in time is carried out; without a timeout_ms (an older fleet) it never expires
        assertTrue(handler.handle(late, handler.nowMillis()).await().atMost(PATIENCE).getOk());
        FleetMessage noDeadline = late.toBuilder().setTimeoutMs(0).build();
        assertTrue(handler.handle(noDeadline, handler.nowMillis() - 600_000).await().atMost(PATIENCE).getOk());
        assertTrue(fleet.command(FleetMessage.newBuilder().setReleaseProxy(ReleaseProxy.newBuilder().setProxyId(121))).getOk());
    }

    @Test
    void shouldHeartbeatEveryModemAfterWelcome() {
        await().atMost(PATIENCE).until(() -> fleet.latestHeartbeat() != null);

        assertEquals(6, fleet.latestHeartbeat().getModemsCount());
        assertTrue(fleet.latestHeartbeat().getModemsList().stream().allMatch(ModemStatus::getOnline));
    }

    @Test
    void shouldMoveAProxyToANewPortAndIgnoreAStaleReleaseOfTheOldOne() throws Exception {
        int oldPort = freePortInRange();
        assertTrue(fleet.command(provision(107, "lax-1", oldPort, "cust-107", "pw-107")).getOk());
        int newPort = freePortInRange();
        while (newPort == oldPort) {
            newPort = freePortInRange();
        }
        // The fleet moves the proxy (connect): same proxy id, new port and credentials.
        assertTrue(fleet.command(provision(107, "lax-2", newPort, "cust-107b", "pw-107b")).getOk());
        // The old port stops accepting (the agent confirms the move once its listener is closed; the
        // kernel may still complete a handshake queued just before that, so wait for the refusal).
        await().atMost(java.time.Duration.ofSeconds(5)).untilAsserted(() ->
                assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", oldPort).close()));

        // A release still naming the old port must not close the proxy where it is served now.
        CommandResult stale = fleet.command(FleetMessage.newBuilder()
                .setReleaseProxy(ReleaseProxy.newBuilder().setProxyId(107).setPort(oldPort)));
        assertTrue(stale.getOk(), stale.getError());
        assertEquals(TestOrigin.GREETING, fetchThroughProxy(newPort, "cust-107b", "pw-107b").body());

        assertTrue(fleet.command(FleetMessage.newBuilder()
                .setReleaseProxy(ReleaseProxy.newBuilder().setProxyId(107).setPort(newPort))).getOk());
        int closed = newPort;
        assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", closed).close());
    }

    @Test
    void shouldProvisionAProxyThatServesTrafficUntilReleased() throws Exception {
        int port = freePortInRange();
        CommandResult provisioned = fleet.command(provision(101, "lax-1", port, "cust-101", "pw-101"));

        assertTrue(provisioned.getOk(), provisioned.getError());
        assertEquals(TestOrigin.GREETING, fetchThroughProxy(port, "cust-101", "pw-101").body());
        assertEquals(407, fetchThroughProxy(port, "cust-101", "wrong").status());
        // SOCKS5 on the same port, with the same credentials (RFC 1929), to the allowlisted origin.
        try (Socks5Client socks = new Socks5Client(port)) {
            assertEquals(0x02, socks.greet(0x02));
            assertEquals(0, socks.authenticate("cust-101", "pw-101"));
            assertEquals(0, socks.connectIpv4(new byte[] {127, 0, 0, 1}, origin.port()));
            socks.send("GET /via-socks HTTP/1.1\r\nHost: " + origin.authority() + "\r\nConnection: close\r\n\r\n");
            assertTrue(socks.readToEnd().endsWith(TestOrigin.GREETING));
        }
        // Heartbeats carry the proxy's byte counters (ProxyTraffic): both requests and answers count.
        await().atMost(PATIENCE).until(() -> fleet.latestHeartbeat() != null && fleet.latestHeartbeat().getTrafficList().stream()
                .anyMatch(traffic -> traffic.getProxyId() == 101 && traffic.getBytesIn() > 0 && traffic.getBytesOut() > 0
                        && traffic.getCountingSinceEpochMs() > 0
                        // and the listener's port, which the fleet checks against the proxy's place
                        && traffic.getPort() == port));

        CommandResult released = fleet.command(FleetMessage.newBuilder()
                .setReleaseProxy(ReleaseProxy.newBuilder().setProxyId(101).setPort(port)));

        assertTrue(released.getOk(), released.getError());
        assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", port).close());
    }

    @Test
    void shouldReportAPortThatIsAlreadyTaken() throws Exception {
        int port = freePortInRange();
        try (ServerSocket somethingElse = new ServerSocket(port)) {
            CommandResult result = fleet.command(provision(102, "lax-2", port, "cust-102", "pw-102"));

            assertFalse(result.getOk());
            assertTrue(result.getError().contains("in use"), result.getError());
        }
    }

    @Test
    void shouldRefuseAPortOutsideItsRangeAndAnUnknownModem() throws Exception {
        CommandResult outside = fleet.command(provision(103, "lax-1", RANGE_END + 1, "u", "p"));
        CommandResult unknownModem = fleet.command(provision(104, "sfo-9", freePortInRange(), "u", "p"));

        assertFalse(outside.getOk());
        assertTrue(outside.getError().contains("outside"), outside.getError());
        assertFalse(unknownModem.getOk());
        assertTrue(unknownModem.getError().contains("unknown modem"), unknownModem.getError());
    }

    @Test
    void shouldResetASimulatedModemToANewExitIp() throws Exception {
        String before = exitIpInHello("nyc-2");

        CommandResult reset = fleet.command(FleetMessage.newBuilder()
                .setResetIp(ResetIp.newBuilder().setModemId("nyc-2").setMode(ResetMode.RESET_MODE_HARD)));

        assertTrue(reset.getOk(), reset.getError());
        assertTrue(reset.getExitIp().startsWith("203.0.113."), reset.getExitIp());
        assertNotEquals(before, reset.getExitIp());
        await().atMost(PATIENCE).until(() -> reset.getExitIp().equals(exitIpInHeartbeat("nyc-2")));
    }

    @Test
    void shouldRecordAFingerprintForAServedProxyOnly() throws Exception {
        int port = freePortInRange();
        assertTrue(fleet.command(provision(105, "mia-1", port, "cust-105", "pw-105")).getOk());

        CommandResult served = fleet.command(FleetMessage.newBuilder().setSetFingerprint(
                SetFingerprint.newBuilder().setProxyId(105).setFingerprint(Fingerprint.FINGERPRINT_WINDOWS)));
        CommandResult notServed = fleet.command(FleetMessage.newBuilder().setSetFingerprint(
                SetFingerprint.newBuilder().setProxyId(999).setFingerprint(Fingerprint.FINGERPRINT_LINUX)));

        assertTrue(served.getOk(), served.getError());
        assertFalse(notServed.getOk());
        // Heartbeats (protocol 3) list the proxy with the profile it presents: the fleet compares it with the stored one.
        await().atMost(PATIENCE).until(() -> fleet.latestHeartbeat() != null && fleet.latestHeartbeat().getTrafficList().stream()
                .anyMatch(traffic -> traffic.getProxyId() == 105 && traffic.getPort() == port && traffic.hasFingerprint()
                        && traffic.getFingerprint() == Fingerprint.FINGERPRINT_WINDOWS));
        assertTrue(fleet.command(FleetMessage.newBuilder().setReleaseProxy(ReleaseProxy.newBuilder().setProxyId(105))).getOk());
    }

    @Test
    void shouldTakeTheFingerprintAProvisionCarriesAndOnlyRecordItWithSimulatedModems() throws Exception {
        int port = freePortInRange();
        FleetMessage.Builder reopen = provision(106, "mia-2", port, "cust-106", "pw-106");
        reopen.getProvisionProxyBuilder().setFingerprint(Fingerprint.FINGERPRINT_WINDOWS);
        assertTrue(fleet.command(reopen).getOk());
        ProxyListener listener = listeners.find(106).orElseThrow();
        assertEquals("WINDOWS", listener.fingerprint());
        assertEquals(0, listener.originReceiveBufferBytes(), "simulated modems: recorded, the sockets are left alone");
        assertFalse(fingerprints.shapes());

        // A fleet from before the field sends none: the listener keeps its fingerprint.
        assertTrue(fleet.command(provision(106, "mia-2", port, "cust-106", "pw-106")).getOk());
        assertEquals("WINDOWS", listeners.find(106).orElseThrow().fingerprint());
        assertTrue(fleet.command(FleetMessage.newBuilder().setReleaseProxy(ReleaseProxy.newBuilder().setProxyId(106))).getOk());
    }

    @Test
    void shouldReconnectAndKeepServingProxiesAcrossADroppedLink() throws Exception {
        int port = freePortInRange();
        assertTrue(fleet.command(provision(106, "mia-2", port, "cust-106", "pw-106")).getOk());
        fleet.forgetHellos();

        fleet.dropAgent();
        Hello again = fleet.awaitNextHello();

        assertTrue(again.getServedProxiesList().contains(ServedProxy.newBuilder().setProxyId(106).setPort(port).build()),
                "served_proxies after reconnect: " + again.getServedProxiesList());
        assertEquals(TestOrigin.GREETING, fetchThroughProxy(port, "cust-106", "pw-106").body());
        await().atMost(PATIENCE).until(FleetLinkTest::isReady);
        assertTrue(fleet.command(FleetMessage.newBuilder().setReleaseProxy(ReleaseProxy.newBuilder().setProxyId(106))).getOk());
    }

    @Test
    void shouldBeReadyOnlyOnceTheFleetWelcomedIt() throws Exception {
        fleet.welcomeAgents(false);
        fleet.forgetHellos();

        fleet.dropAgent();
        fleet.awaitNextHello();

        assertFalse(isReady(), "connected but not welcomed yet");
        given().get("/q/health/live").then().statusCode(200);

        fleet.welcome();
        await().atMost(PATIENCE).until(FleetLinkTest::isReady);
    }

    @Test
    void shouldPublishTheConnectionLimitsOnTheMetricsEndpoint() {
        // docs/fleet.md "Connection limits": what an operator watches for a flood or a lack of body budget.
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        for (String name : List.of("proxyvault_agent_connections_refused_total{reason=\"head_phase_per_source\"",
                "proxyvault_agent_connections_refused_total{reason=\"head_phase\"",
                "proxyvault_agent_connections_refused_total{reason=\"open_files\"",
                "proxyvault_agent_request_bodies_refused_total", "proxyvault_agent_connections_head_phase",
                "proxyvault_agent_connections_customer ", "proxyvault_agent_connections_customer_ceiling",
                "proxyvault_agent_request_bodies_held_bytes")) {
            assertTrue(metrics.contains(name), name + " missing from /q/metrics");
        }
    }

    private static boolean isReady() {
        return given().get("/q/health/ready").statusCode() == 200;
    }

    private static FleetMessage.Builder provision(long proxyId, String modemId, int port, String username, String password) {
        return FleetMessage.newBuilder().setProvisionProxy(ProvisionProxy.newBuilder()
                .setProxyId(proxyId).setModemId(modemId).setPort(port).setUsername(username).setPassword(password));
    }

    private RawHttpClient.Response fetchThroughProxy(int port, String username, String password) throws IOException {
        try (RawHttpClient client = new RawHttpClient(port)) {
            return client.send("GET http://" + origin.authority() + "/via-agent HTTP/1.1\r\n"
                    + "Host: " + origin.authority() + "\r\n"
                    + "Proxy-Authorization: " + basic(username, password) + "\r\n"
                    + "\r\n").readResponse();
        }
    }

    private String exitIpInHello(String modemId) {
        return fleet.latestHello().getModemsList().stream()
                .filter(modem -> modem.getModemId().equals(modemId)).findFirst().orElseThrow().getExitIp();
    }

    private String exitIpInHeartbeat(String modemId) {
        if (fleet.latestHeartbeat() == null) {
            return null;
        }
        return fleet.latestHeartbeat().getModemsList().stream()
                .filter(modem -> modem.getModemId().equals(modemId)).findFirst().orElseThrow().getExitIp();
    }

    /** A port in the agent's range that nothing listens on right now. */
    private static int freePortInRange() {
        for (int attempt = 0; attempt < 200; attempt++) {
            int candidate = ThreadLocalRandom.current().nextInt(RANGE_START, RANGE_END + 1);
            try (ServerSocket probe = new ServerSocket(candidate)) {
                return candidate;
            } catch (IOException taken) {
                // try another
            }
        }
        throw new IllegalStateException("No free port in " + RANGE_START + "-" + RANGE_END);
    }
}
