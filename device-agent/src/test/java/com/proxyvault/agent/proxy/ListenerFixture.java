package com.proxyvault.agent.proxy;

import com.proxyvault.agent.modems.ModemSpec;
import com.proxyvault.agent.modems.SimulatedModemDriver;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static com.proxyvault.agent.proxy.RawHttpClient.basic;

/**
 * One proxy listener on real sockets for a test class, opened before each test and closed after it with everything
 * around it: its own {@link ProxyEventLoop}, two origins on 127.0.0.1 (an {@link EchoOrigin} for tunnels, a
 * {@link TestOrigin} for HTTP) and an allowlisted port where nothing listens. Register it as a field:
 *
 * <pre>{@code
 * @RegisterExtension
 * final ListenerFixture proxy = new ListenerFixture("user", "password").withSettings(...);
 * }</pre>
 *
 * The listener serves proxy {@link #proxyId()} through a simulated modem, with {@link #DEFAULT_SETTINGS} unless
 * {@link #withSettings} says otherwise. Its {@link OriginPolicy} allows exactly the two origins (as {@code 127.0.0.1}
 * and as {@code localhost}, each on its own port) and {@link #unusedPort()}; everything else stays refused as in
 * production. {@link #openAnother} opens more listeners on the same loop, closed after the test too.
 */
final class ListenerFixture implements BeforeEachCallback, AfterEachCallback {

    /** Short timeouts, so a test that leaves a connection hanging ends soon; long enough for a loaded machine. */
    static final ProxySettings DEFAULT_SETTINGS = ProxySettings.DEFAULTS.withTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(60));

    private final String username;
    private final String password;
    private final SimulatedModemDriver modem = new SimulatedModemDriver(new ModemSpec("lax-1", "LAX", false, "203.0.113.11"));
    private long proxyId = 1;
    private String bindHost = "127.0.0.1";
    private ProxySettings settings = DEFAULT_SETTINGS;

    private ProxyEventLoop eventLoop;
    private EchoOrigin echo;
    private TestOrigin web;
    private int unusedPort;
    private ProxyListeners listeners;
    private int port;
    private final List<ProxyListeners> others = new ArrayList<>();

    ListenerFixture(String username, String password) {
        this.username = username;
        this.password = password;
    }

    /** Serves this proxy id instead of 1. Before the test starts only. */
    ListenerFixture withProxyId(long id) {
        this.proxyId = id;
        return this;
    }

    /** Binds the listener to {@code host} instead of 127.0.0.1 (tests still connect to 127.0.0.1). */
    ListenerFixture withBindHost(String host) {
        this.bindHost = host;
        return this;
    }

    ListenerFixture withSettings(ProxySettings settings) {
        this.settings = settings;
        return this;
    }

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        eventLoop = new ProxyEventLoop();
        echo = new EchoOrigin();
        web = new TestOrigin();
        unusedPort = freePort();
        listeners = new ProxyListeners(eventLoop, bindHost, allowingTheOrigins(), settings, Clock.systemUTC());
        port = freePort();
        listeners.open(assignment(proxyId, port)).get(10, TimeUnit.SECONDS);
    }

    @Override
    public void afterEach(ExtensionContext context) throws IOException {
        others.forEach(ProxyListeners::closeAll);
        others.clear();
        if (listeners != null) {
            listeners.closeAll();
        }
        if (eventLoop != null) {
            eventLoop.close();
        }
        if (echo != null) {
            echo.close();
        }
        if (web != null) {
            web.close();
        }
    }

    private OriginPolicy allowingTheOrigins() {
        return OriginPolicy.allowing(List.of(
                "127.0.0.1:" + echo.port(), "localhost:" + echo.port(),
                web.authority(), "localhost:" + web.port(),
                "127.0.0.1:" + unusedPort));
    }

    /**
     * Opens one more listener (proxy 2 and up) on a free port of 127.0.0.1, on this fixture's event loop, with the same
     * credentials and modem; it is closed after the test.
     */
    ProxyListener openAnother(OriginPolicy policy, ProxySettings otherSettings) throws Exception {
        ProxyListeners other = new ProxyListeners(eventLoop, "127.0.0.1", policy, otherSettings, Clock.systemUTC());
        others.add(other);
        long otherId = proxyId + others.size();
        other.open(assignment(otherId, freePort())).get(10, TimeUnit.SECONDS);
        return other.find(otherId).orElseThrow();
    }

    /** An assignment of this fixture's credentials and modem. */
    ProxyAssignment assignment(long id, int onPort) {
        return new ProxyAssignment(id, onPort, new ProxyCredentials(username, password), modem);
    }

    /** The listener's port on 127.0.0.1. */
    int port() {
        return port;
    }

    long proxyId() {
        return proxyId;
    }

    /** The listener itself (byte counters, connections). */
    ProxyListener listener() {
        return listeners.find(proxyId).orElseThrow();
    }

    ProxyListeners listeners() {
        return listeners;
    }

    ProxyEventLoop eventLoop() {
        return eventLoop;
    }

    SimulatedModemDriver modem() {
        return modem;
    }

    /** Raw TCP origin that sends back what it gets (tunnels). */
    EchoOrigin echo() {
        return echo;
    }

    /** HTTP origin (absolute-form requests). */
    TestOrigin web() {
        return web;
    }

    /** Allowlisted, but nothing listens there: a connect to it is refused. */
    int unusedPort() {
        return unusedPort;
    }

    /** {@code Proxy-Authorization: Basic …} with this fixture's credentials, as a header line with its CRLF. */
    String credentials() {
        return "Proxy-Authorization: " + basic(username, password) + "\r\n";
    }

    /** The whole SOCKS5 handshake up to the request: greeting offering USERNAME/PASSWORD, then RFC 1929 auth. */
    byte[] socksHandshake() {
        return concat(new byte[] {0x05, 0x01, 0x02}, new byte[] {0x01, (byte) username.length()}, ascii(username),
                new byte[] {(byte) password.length()}, ascii(password));
    }

    /** A port nothing listens on right now (the kernel's pick, released at once). */
    static int freePort() throws IOException {
        try (ServerSocket probe = new ServerSocket(0)) {
            return probe.getLocalPort();
        }
    }

    static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            all.writeBytes(part);
        }
        return all.toByteArray();
    }
}
