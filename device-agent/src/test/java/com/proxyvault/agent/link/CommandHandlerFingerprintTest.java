package com.proxyvault.agent.link;

import com.proxyvault.agent.AgentConfig;
import com.proxyvault.agent.fingerprint.FingerprintShaper;
import com.proxyvault.agent.fingerprint.InterfaceModem;
import com.proxyvault.agent.fingerprint.OsFingerprint;
import com.proxyvault.agent.modems.Modems;
import com.proxyvault.agent.process.RecordedProcessRunner;
import com.proxyvault.agent.proxy.OriginPolicy;
import com.proxyvault.agent.proxy.ProxyEventLoop;
import com.proxyvault.agent.proxy.ProxyListener;
import com.proxyvault.agent.proxy.ProxyListeners;
import com.proxyvault.contracts.agent.v1.CommandResult;
import com.proxyvault.contracts.agent.v1.Fingerprint;
import com.proxyvault.contracts.agent.v1.FleetMessage;
import com.proxyvault.contracts.agent.v1.ProvisionProxy;
import com.proxyvault.contracts.agent.v1.ReleaseProxy;
import com.proxyvault.contracts.agent.v1.SetFingerprint;
import io.smallrye.config.SmallRyeConfigBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The agent's commands with fingerprint shaping on (a ModemManager host), against real listeners and the exact
 * nft input: ProvisionProxy carries the fleet's stored fingerprint and the agent applies it as it applies
 * SetFingerprint; a failure to apply answers ok=false and leaves listener and rules as they were.
 */
class CommandHandlerFingerprintTest {

    private static final Duration PATIENCE = Duration.ofSeconds(10);

    private final InterfaceModem modem = new InterfaceModem("lax-1", "wwan0");
    private final RecordedProcessRunner nft = new RecordedProcessRunner();
    private final ProxyEventLoop eventLoop = new ProxyEventLoop();
    private final ServerSocket origin = listen();
    private final ProxyListeners listeners = new ProxyListeners(eventLoop, "127.0.0.1",
            OriginPolicy.allowing(List.of("127.0.0.1:" + origin.getLocalPort())));
    private final Modems modems = new Modems(List.of(modem));
    private final CommandHandler handler = new CommandHandler(config(), modems, listeners,
            FingerprintShaper.nftables(nft, "nft", Duration.ofSeconds(10), modems, 16L << 20), Clock.systemUTC());

    @AfterEach
    void stop() throws IOException {
        listeners.served().forEach(listener -> listeners.release(listener.proxyId()));
        eventLoop.close();
        origin.close();
    }

    private static ServerSocket listen() {
        try {
            return new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** One simulated modem (lax-1); shared by the other CommandHandler tests of this package. */
    static AgentConfig config() {
        // Quarkus's converter reads "10s" as the application does.
        return new SmallRyeConfigBuilder().withMapping(AgentConfig.class)
                .withConverter(Duration.class, 200, new io.quarkus.runtime.configuration.DurationConverter())
                .withDefaultValues(Map.of(
                        "agent.id", "agent-test", "agent.token", "t", "agent.public-host", "127.0.0.1",
                        "agent.modems", "lax-1:LAX:false:203.0.113.60", "agent.modem-driver", "simulated",
                        "agent.fleet.host", "127.0.0.1",
                        "agent.port-range.start", "1024", "agent.port-range.end", "65535"))
                .build().getConfigMapping(AgentConfig.class);
    }

    private CommandResult handle(FleetMessage.Builder command) {
        return handler.handle(command.setCommandId(UUID.randomUUID().toString()).build(), handler.nowMillis())
                .await().atMost(PATIENCE);
    }

    private static FleetMessage.Builder provision(long proxyId, int port, Fingerprint fingerprint) {
        ProvisionProxy.Builder provision = ProvisionProxy.newBuilder().setProxyId(proxyId).setModemId("lax-1").setPort(port)
                .setUsername("u" + proxyId).setPassword("p" + proxyId);
        if (fingerprint != null) {
            provision.setFingerprint(fingerprint);
        }
        return FleetMessage.newBuilder().setProvisionProxy(provision);
    }

    private static FleetMessage.Builder setFingerprint(long proxyId, Fingerprint fingerprint) {
        return FleetMessage.newBuilder().setSetFingerprint(SetFingerprint.newBuilder().setProxyId(proxyId).setFingerprint(fingerprint));
    }

    private ProxyListener served(long proxyId) {
        return listeners.find(proxyId).orElseThrow(() -> new AssertionError("proxy " + proxyId + " is not served"));
    }

    @Test
    void shouldApplyTheFingerprintAProvisionCarriesAndKeepItWhenAnOlderFleetSendsNone() throws Exception {
        int port = freePort();
        CommandResult opened = handle(provision(31, port, Fingerprint.FINGERPRINT_WINDOWS));

        assertTrue(opened.getOk(), opened.getError());
        assertEquals("WINDOWS", served(31).fingerprint());
        assertEquals(OsFingerprint.WINDOWS.originReceiveBufferBytes(), served(31).originReceiveBufferBytes(),
                "origin sockets get the buffer whose window scale Windows announces");
        assertTrue(nft.lastInput().contains("oifname \"wwan0\" jump modem_lax_1"), nft.lastInput());
        assertTrue(nft.lastInput().contains("ip ttl set 128"), nft.lastInput());
        try (Socket customer = new Socket("127.0.0.1", port)) {
            assertTrue(customer.isConnected());
        }

        // The same listener opened again by a fleet from before the field: it keeps what it presents.
        assertTrue(handle(provision(31, port, null)).getOk());
        assertEquals("WINDOWS", served(31).fingerprint());
        assertEquals(1, nft.runs().size(), "nothing changed, nothing ran");
    }

    @Test
    void shouldAnswerAFailedApplyAsAnErrorAndLeaveListenerAndRulesAsTheyWere() throws Exception {
        int port = freePort();
        assertTrue(handle(provision(32, port, Fingerprint.FINGERPRINT_LINUX)).getOk());
        nft.thenFail("nft -f - failed (exit 1): Error: Could not process rule: Operation not permitted");

        CommandResult refused = handle(setFingerprint(32, Fingerprint.FINGERPRINT_WINDOWS));

        assertFalse(refused.getOk());
        assertEquals("cannot apply the fingerprint rules: nft -f - failed (exit 1): Error: Could not process rule:"
                + " Operation not permitted", refused.getError());
        assertEquals("LINUX", served(32).fingerprint());
        assertEquals(6 << 20, served(32).originReceiveBufferBytes(), "still linux's buffer");
        assertTrue(handle(setFingerprint(32, Fingerprint.FINGERPRINT_WINDOWS)).getOk(), "applied once nft takes it");
        assertEquals("WINDOWS", served(32).fingerprint());

        // none: the rules go, the buffer is the kernel's again.
        assertTrue(handle(setFingerprint(32, Fingerprint.FINGERPRINT_NONE)).getOk());
        assertFalse(nft.lastInput().contains("chain"), nft.lastInput());
        assertEquals("NONE", served(32).fingerprint());
        assertEquals(0, served(32).originReceiveBufferBytes());
    }

    @Test
    void shouldNotOpenAListenerWhoseFingerprintCannotBeApplied() throws Exception {
        int port = freePort();
        nft.thenFail("cannot run nft: Cannot run program \"nft\": error=2, No such file or directory");

        CommandResult refused = handle(provision(33, port, Fingerprint.FINGERPRINT_MACOS));

        assertFalse(refused.getOk());
        assertTrue(refused.getError().startsWith("cannot apply the fingerprint rules: cannot run nft"), refused.getError());
        assertTrue(listeners.find(33).isEmpty(), "no listener the fleet does not know about");
        assertThrows(IOException.class, () -> new Socket("127.0.0.1", port).close());
        assertTrue(handle(provision(33, port, Fingerprint.FINGERPRINT_MACOS)).getOk(), "the resend works once nft does");
        assertEquals("MACOS", served(33).fingerprint());
    }

    @Test
    void shouldAnnounceTheFingerprintsWindowScaleOnOriginConnections() throws Exception {
        // What the origin sees in the SYN, read back from the kernel (ss shows wscale:<send>,<receive>): Linux only,
        // and only where net.core.rmem_max lets a 3 MiB buffer through (the shaper leaves it alone otherwise).
        java.nio.file.Path ss = java.nio.file.Path.of("/usr/bin/ss");
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isExecutable(ss), "no ss here");
        org.junit.jupiter.api.Assumptions.assumeTrue(FingerprintShaper.hostReceiveBufferLimit() >= OsFingerprint.MACOS.originReceiveBufferBytes(),
                "net.core.rmem_max is below 3 MiB here");
        int port = freePort();
        assertTrue(handle(provision(35, port, Fingerprint.FINGERPRINT_MACOS)).getOk());

        try (com.proxyvault.agent.proxy.RawHttpClient client = new com.proxyvault.agent.proxy.RawHttpClient(port)) {
            String target = "127.0.0.1:" + origin.getLocalPort();
            client.send("CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\nProxy-Authorization: "
                    + com.proxyvault.agent.proxy.RawHttpClient.basic("u35", "p35") + "\r\n\r\n");
            assertEquals(200, client.readResponse().status());
            try (Socket accepted = origin.accept()) {
                Process shown = new ProcessBuilder(ss.toString(), "-tinH", "state", "established",
                        "( dport = :" + origin.getLocalPort() + " )").redirectErrorStream(true).start();
                String sockets = new String(shown.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                assertTrue(sockets.matches("(?s).*wscale:\\d+,6\\b.*"), "macOS announces window scale 6: " + sockets);
            }
        }
    }

    @Test
    void shouldDropAReleasedProxysRules() throws Exception {
        assertTrue(handle(provision(34, freePort(), Fingerprint.FINGERPRINT_WINDOWS)).getOk());
        assertTrue(handle(FleetMessage.newBuilder().setReleaseProxy(ReleaseProxy.newBuilder().setProxyId(34))).getOk());
        org.awaitility.Awaitility.await().atMost(PATIENCE).until(() -> nft.runs().size() == 2);
        assertFalse(nft.lastInput().contains("chain"), nft.lastInput());
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
