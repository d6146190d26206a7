package com.proxyvault.agent.proxy;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.channels.ServerSocketChannel;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static com.proxyvault.agent.proxy.RawHttpClient.basic;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Real sockets on 127.0.0.1: a proxy listener between a raw HTTP client and a tiny origin. */
class HttpProxyListenerTest {

    private static final long PROXY_ID = 42;
    private static final String USERNAME = "cust-42";
    private static final String PASSWORD = "s3cret-pass";

    @RegisterExtension
    final ListenerFixture proxy = new ListenerFixture(USERNAME, PASSWORD).withProxyId(PROXY_ID).withBindHost("0.0.0.0")
            .withSettings(ProxySettings.DEFAULTS);
    /** The fixture's HTTP origin. */
    private TestOrigin origin;
    private int proxyPort;
    /** Nothing listens here; allowlisted so a connect to it gets that far. */
    private int closedPort;

    @BeforeEach
    void shortNames() {
        origin = proxy.web();
        proxyPort = proxy.port();
        closedPort = proxy.unusedPort();
    }

    @Test
    void shouldRelayAnAbsoluteFormRequest() throws IOException {
        try (RawHttpClient client = new RawHttpClient(proxyPort)) {
            RawHttpClient.Response response = client.send(
                    "GET http://" + origin.authority() + "/greeting?lang=en HTTP/1.1\r\n"
                            + "Host: " + origin.authority() + "\r\n"
                            + "Proxy-Authorization: " + basic(USERNAME, PASSWORD) + "\r\n"
                            + "Proxy-Connection: keep-alive\r\n"
                            + "X-Customer-Header: kept\r\n"
                            + "\r\n").readResponse();

            assertEquals(200, response.status());
            assertEquals(TestOrigin.GREETING, response.body());
        }
        assertEquals(1, origin.received().size());
        TestOrigin.ReceivedRequest atOrigin = origin.received().get(0);
        assertEquals("GET", atOrigin.method());
        assertEquals("/greeting?lang=en", atOrigin.uri(), "the origin gets origin-form");
        assertEquals(origin.authority(), atOrigin.headers().getFirst("Host"));
        assertEquals("kept", atOrigin.headers().getFirst("X-Customer-Header"));
        assertNull(atOrigin.headers().getFirst("Proxy-Authorization"), "credentials must never reach the origin");
        assertNull(atOrigin.headers().getFirst("Proxy-Connection"));
    }

    @Test
    void shouldRelayARequestBodyAndServeConsecutiveRequestsOnOneConnection() throws IOException {
        try (RawHttpClient client = new RawHttpClient(proxyPort)) {
            for (String body : new String[] {"first body", "second, longer body"}) {
                RawHttpClient.Response response = client.send(
                        "POST http://" + origin.authority() + "/echo HTTP/1.1\r\n"
                                + "Host: " + origin.authority() + "\r\n"
                                + "Proxy-Authorization: " + basic(USERNAME, PASSWORD) + "\r\n"
                                + "Content-Type: text/plain\r\n"
                                + "Content-Length: " + body.length() + "\r\n"
                                + "\r\n" + body).readResponse();

                assertEquals(200, response.status());
                assertEquals(body, response.body());
            }
        }
        assertEquals(2, origin.received().size());
    }

    @Test
    void shouldStreamAChunkedResponseBack() throws IOException {
        try (RawHttpClient client = new RawHttpClient(proxyPort)) {
            RawHttpClient.Response response = client.send(
                    "GET http://" + origin.authority() + "/chunked HTTP/1.1\r\n"
                            + "Host: " + origin.authority() + "\r\n"
                            + "Proxy-Authorization: " + basic(USERNAME, PASSWORD) + "\r\n"
                            + "\r\n").readResponse();

            assertEquals(200, response.status());
            assertEquals("chunked", response.header("Transfer-Encoding"));
            assertEquals(TestOrigin.CHUNK.repeat(TestOrigin.CHUNKS), response.body());
        }
    }

    @Test
    void shouldTunnelAConnectRequest() throws IOException {
        try (RawHttpClient client = new RawHttpClient(proxyPort)) {
            RawHttpClient.Response established = client.send(
                    "CONNECT " + origin.authority() + " HTTP/1.1\r\n"
                            + "Host: " + origin.authority() + "\r\n"
                            + "Proxy-Authorization: " + basic(USERNAME, PASSWORD) + "\r\n"
                            + "\r\n").readResponse();
            assertEquals(200, established.status());
            assertEquals("HTTP/1.1 200 Connection Established", established.statusLine());

            // From here on the proxy only copies bytes: speak HTTP to the origin ourselves.
            RawHttpClient.Response throughTunnel = client.send(
                    "GET /through-the-tunnel HTTP/1.1\r\n"
                            + "Host: " + origin.authority() + "\r\n"
                            + "\r\n").readResponse();
            assertEquals(200, throughTunnel.status());
            assertEquals(TestOrigin.GREETING, throughTunnel.body());
        }
        assertEquals("/through-the-tunnel", origin.received().get(0).uri());
    }

    @Test
    void shouldAnswerConnectBeforeAnyByteOfAnOriginThatSpeaksFirst() throws Exception {
        // An origin that talks first (SSH, SMTP banners): its bytes must come after the 200, never before or
        // inside it, even though the tunnel starts reading both sides in the same step that answers 200.
        byte[] banner = "SSH-2.0-test-banner\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        int bannerProxyPort = ListenerFixture.freePort();
        try (ServerSocket speaksFirst = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            ProxyListeners toBanner = new ProxyListeners(proxy.eventLoop(), "0.0.0.0",
                    OriginPolicy.allowing(List.of("127.0.0.1:" + speaksFirst.getLocalPort())));
            Thread greeter = new Thread(() -> {
                try (Socket accepted = speaksFirst.accept()) {
                    accepted.getOutputStream().write(banner);
                    accepted.getOutputStream().flush();
                    accepted.getInputStream().read(); // hold the connection until the client is done
                } catch (IOException ignored) {
                    // the test reports what it saw
                }
            });
            greeter.start();
            toBanner.open(assignment(9, bannerProxyPort)).get(10, TimeUnit.SECONDS);
            try (RawHttpClient client = new RawHttpClient(bannerProxyPort)) {
                RawHttpClient.Response established = client.send(
                        "CONNECT 127.0.0.1:" + speaksFirst.getLocalPort() + " HTTP/1.0\r\n"
                                + "Proxy-Authorization: " + basic(USERNAME, PASSWORD) + "\r\n"
                                + "\r\n").readResponse();
                assertEquals("HTTP/1.0 200 Connection Established", established.statusLine(), "answered in the client's version");
                assertTrue(established.headers().isEmpty(), "a 200 to CONNECT has no framing headers: " + established.headers());
                byte[] received = new byte[banner.length];
                for (int i = 0; i < banner.length; i++) {
                    received[i] = (byte) client.read();
                }
                assertEquals(new String(banner, java.nio.charset.StandardCharsets.US_ASCII),
                        new String(received, java.nio.charset.StandardCharsets.US_ASCII));
            } finally {
                toBanner.closeAll();
                greeter.join(10_000);
            }
        }
    }

    @Test
    void shouldDemandCredentialsAndNeverReachTheOriginWithoutThem() throws IOException {
        String[] wrongAuthorizations = {
                null,
                basic(USERNAME, "wrong-password"),
                basic("someone-else", PASSWORD),
                "Basic not-base64!",
                "Bearer " + PASSWORD,
        };
        for (String authorization : wrongAuthorizations) {
            String header = authorization == null ? "" : "Proxy-Authorization: " + authorization + "\r\n";
            try (RawHttpClient client = new RawHttpClient(proxyPort)) {
                RawHttpClient.Response absoluteForm = client.send(
                        "GET http://" + origin.authority() + "/secret HTTP/1.1\r\n"
                                + "Host: " + origin.authority() + "\r\n" + header + "\r\n").readResponse();
                assertEquals(407, absoluteForm.status(), "absolute-form with " + authorization);
                assertEquals("Basic realm=\"proxyvault\"", absoluteForm.header("Proxy-Authenticate"));

                RawHttpClient.Response connect = client.send(
                        "CONNECT " + origin.authority() + " HTTP/1.1\r\n"
                                + "Host: " + origin.authority() + "\r\n" + header + "\r\n").readResponse();
                assertEquals(407, connect.status(), "CONNECT with " + authorization);
                assertEquals("Basic realm=\"proxyvault\"", connect.header("Proxy-Authenticate"));
            }
        }
        assertTrue(origin.received().isEmpty(), "nothing may reach the origin unauthenticated");
    }

    /** A singleton field sent twice is refused whichever line holds the password (new-user review 3: the first one decided). */
    @Test
    void shouldRefuseTwoProxyAuthorizationLines() throws IOException {
        String good = basic(USERNAME, PASSWORD);
        String bad = basic(USERNAME, "wrong-password");
        for (String[] pair : new String[][] {{bad, good}, {good, bad}, {good, good}}) {
            for (String head : new String[] {"GET http://" + origin.authority() + "/secret", "CONNECT " + origin.authority()}) {
                try (RawHttpClient client = new RawHttpClient(proxyPort)) {
                    RawHttpClient.Response response = client.send(head + " HTTP/1.1\r\nHost: " + origin.authority() + "\r\n"
                            + "Proxy-Authorization: " + pair[0] + "\r\nProxy-Authorization: " + pair[1] + "\r\n\r\n").readResponse();
                    assertEquals(400, response.status(), head + " with " + String.join(" / ", pair));
                }
            }
        }
        assertTrue(origin.received().isEmpty(), "nothing may reach the origin");
    }

    @Test
    void shouldAnswerBadGatewayWhenTheOriginIsDown() throws IOException {
        try (RawHttpClient client = new RawHttpClient(proxyPort)) {
            RawHttpClient.Response response = client.send(
                    "GET http://127.0.0.1:" + closedPort + "/ HTTP/1.1\r\n"
                            + "Host: 127.0.0.1:" + closedPort + "\r\n"
                            + "Proxy-Authorization: " + basic(USERNAME, PASSWORD) + "\r\n"
                            + "\r\n").readResponse();
            assertEquals(502, response.status());
        }
    }

    @Test
    void shouldServeARequestSentRightBehindAConnectThatFails() throws IOException {
        // The customer stays readable while a CONNECT's origin connects (what it sends waits in EarlyBytes): a
        // request sent before the answer to a CONNECT that then fails is still served next, on the same connection,
        // whether it arrived with the CONNECT, while connecting, or after the answer.
        try (RawHttpClient client = new RawHttpClient(proxyPort)) {
            client.send("CONNECT 127.0.0.1:" + closedPort + " HTTP/1.1\r\n"
                    + "Host: 127.0.0.1:" + closedPort + "\r\n"
                    + "Proxy-Authorization: " + basic(USERNAME, PASSWORD) + "\r\n"
                    + "\r\n");
            client.send("GET http://" + origin.authority() + "/after-the-connect HTTP/1.1\r\n"
                    + "Host: " + origin.authority() + "\r\n"
                    + "Proxy-Authorization: " + basic(USERNAME, PASSWORD) + "\r\n"
                    + "\r\n");
            assertEquals(502, client.readResponse().status(), "nothing listens on the CONNECT's port");
            RawHttpClient.Response next = client.readResponse();
            assertEquals(200, next.status());
            assertEquals(TestOrigin.GREETING, next.body());
        }
        assertEquals("/after-the-connect", origin.received().get(0).uri());
    }

    @Test
    void shouldRefuseNonPublicTargetsWithForbiddenAndKeepServingTheConnection() throws IOException {
        String[] blockedTargets = {
                "10.0.0.1:80",                    // private
                "169.254.169.254:80",             // cloud metadata (link-local)
                "[fd00:ec2::254]:80",             // metadata over IPv6 (unique local)
                "[::ffff:169.254.169.254]:80",    // IPv4-mapped
                "[2002:7f00:1::]:" + origin.port(), // 6to4 of 127.0.0.1
                "127.0.0.2:" + origin.port(),     // loopback, but not the allowlisted 127.0.0.1
                "[::1]:" + origin.port(),
                "0.0.0.0:" + origin.port(),
        };
        try (RawHttpClient client = new RawHttpClient(proxyPort)) {
            for (String target : blockedTargets) {
                RawHttpClient.Response absoluteForm = client.send(
                        "GET http://" + target + "/latest/meta-data/ HTTP/1.1\r\n"
                                + "Host: " + target + "\r\n"
                                + "Proxy-Authorization: " + basic(USERNAME, PASSWORD) + "\r\n"
                                + "\r\n").readResponse();
                assertEquals(403, absoluteForm.status(), "absolute-form to " + target);
                assertTrue(absoluteForm.body().startsWith("Forbidden"), absoluteForm.body());

                RawHttpClient.Response connect = client.send(
                        "CONNECT " + target + " HTTP/1.1\r\n"
                                + "Host: " + target + "\r\n"
                                + "Proxy-Authorization: " + basic(USERNAME, PASSWORD) + "\r\n"
                                + "\r\n").readResponse();
                assertEquals(403, connect.status(), "CONNECT to " + target);
            }
            // A refusal is an ordinary answer: the same connection still reaches an allowed origin.
            RawHttpClient.Response allowed = client.send(
                    "GET http://" + origin.authority() + "/ HTTP/1.1\r\n"
                            + "Host: " + origin.authority() + "\r\n"
                            + "Proxy-Authorization: " + basic(USERNAME, PASSWORD) + "\r\n"
                            + "\r\n").readResponse();
            assertEquals(200, allowed.status());
        }
        assertEquals(1, origin.received().size(), "only the allowed request may reach the origin");
    }

    @Test
    void shouldRefuseALoopbackOriginUnlessItIsAllowlisted() throws Exception {
        // The production policy: nothing private is allowed, so neither the origin on 127.0.0.1
        // nor a bare listening socket there may be reached, by address or by name.
        int strictPort = ListenerFixture.freePort();
        ProxyListeners strict = new ProxyListeners(proxy.eventLoop(), "0.0.0.0", OriginPolicy.publicOnly());
        try (ServerSocketChannel internalService = ServerSocketChannel.open()) {
            internalService.bind(new InetSocketAddress("127.0.0.1", 0));
            internalService.configureBlocking(false);
            int internalPort = internalService.socket().getLocalPort();
            strict.open(assignment(7, strictPort)).get(10, TimeUnit.SECONDS);
            assertAllForbidden(strictPort, origin.authority(), "localhost:" + origin.port(),
                    "127.0.0.1:" + internalPort, "localhost:" + internalPort);
            // The allowlist names origins with their port: 127.0.0.1:<origin port> opens no other port there.
            assertAllForbidden(proxyPort, "127.0.0.1:" + internalPort, "localhost:" + internalPort);
            assertNull(internalService.accept(), "the proxy must not even open a connection to a refused target");
        } finally {
            strict.closeAll();
        }
        assertTrue(origin.received().isEmpty());

        // The origin itself through the listener that allowlists it.
        try (RawHttpClient client = new RawHttpClient(proxyPort)) {
            assertEquals(200, client.send(
                    "CONNECT " + origin.authority() + " HTTP/1.1\r\n"
                            + "Proxy-Authorization: " + basic(USERNAME, PASSWORD) + "\r\n"
                            + "\r\n").readResponse().status());
        }
    }

    private static void assertAllForbidden(int proxyPort, String... targets) throws IOException {
        try (RawHttpClient client = new RawHttpClient(proxyPort)) {
            for (String target : targets) {
                assertEquals(403, client.send(
                        "GET http://" + target + "/q/metrics HTTP/1.1\r\n"
                                + "Host: " + target + "\r\n"
                                + "Proxy-Authorization: " + basic(USERNAME, PASSWORD) + "\r\n"
                                + "\r\n").readResponse().status(), "absolute-form to " + target);
                assertEquals(403, client.send(
                        "CONNECT " + target + " HTTP/1.1\r\n"
                                + "Proxy-Authorization: " + basic(USERNAME, PASSWORD) + "\r\n"
                                + "\r\n").readResponse().status(), "CONNECT to " + target);
            }
        }
    }

    @Test
    void shouldRejectAnOriginFormRequest() throws IOException {
        try (RawHttpClient client = new RawHttpClient(proxyPort)) {
            RawHttpClient.Response response = client.send(
                    "GET /not-a-proxy-request HTTP/1.1\r\n"
                            + "Host: " + origin.authority() + "\r\n"
                            + "Proxy-Authorization: " + basic(USERNAME, PASSWORD) + "\r\n"
                            + "\r\n").readResponse();
            assertEquals(400, response.status());
        }
        assertTrue(origin.received().isEmpty());
    }

    @Test
    void shouldCloseTheListenerAndItsConnectionsOnRelease() throws Exception {
        try (RawHttpClient tunnelled = new RawHttpClient(proxyPort)) {
            assertEquals(200, tunnelled.send(
                    "CONNECT " + origin.authority() + " HTTP/1.1\r\n"
                            + "Proxy-Authorization: " + basic(USERNAME, PASSWORD) + "\r\n"
                            + "\r\n").readResponse().status());

            proxy.listeners().release(PROXY_ID).get(10, TimeUnit.SECONDS);

            assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", proxyPort).close(),
                    "nobody may connect to a released proxy");
            assertClosedByProxy(tunnelled);
        }
        assertTrue(proxy.listeners().served().isEmpty());
    }

    @Test
    void shouldRefuseToOpenAPortThatIsInUse() throws Exception {
        try (ServerSocket somethingElse = new ServerSocket(0)) {
            ExecutionException failure = assertThrows(ExecutionException.class,
                    () -> proxy.listeners().open(assignment(7, somethingElse.getLocalPort())).get(10, TimeUnit.SECONDS));
            assertInstanceOf(ProxyException.class, failure.getCause());
            assertTrue(failure.getCause().getMessage().contains("already in use"), failure.getCause().getMessage());
        }
        assertEquals(1, proxy.listeners().served().size());
    }

    /**
     * A port the fleet assigns to one proxy while this agent still serves another there: the other's listener is
     * stale (the fleet holds each port for one proxy at most, so it moved or ended while this agent could not be
     * told) and gives way, connections and all; the new proxy is served with its own credentials (static review,
     * stop 29, finding 4: the assignment was refused, and the purchase failed and was refunded).
     */
    @Test
    void shouldReplaceAStaleListenerOfAnotherProxyOnAnAssignedPort() throws Exception {
        RawHttpClient tunnelled = new RawHttpClient(proxyPort);
        assertEquals(200, tunnelled.send("CONNECT " + origin.authority() + " HTTP/1.1\r\n"
                + "Proxy-Authorization: " + basic(USERNAME, PASSWORD) + "\r\n\r\n").readResponse().status());

        proxy.listeners().open(new ProxyAssignment(8, proxyPort, new ProxyCredentials("cust-8", "new-pass"), proxy.modem()))
                .get(10, TimeUnit.SECONDS);

        assertEquals(List.of(8L), proxy.listeners().served().stream().map(ProxyListener::proxyId).toList());
        assertClosedByProxy(tunnelled);
        tunnelled.close();
        try (RawHttpClient stale = new RawHttpClient(proxyPort)) {
            assertEquals(407, stale.send("GET http://" + origin.authority() + "/ HTTP/1.1\r\nHost: " + origin.authority() + "\r\n"
                    + "Proxy-Authorization: " + basic(USERNAME, PASSWORD) + "\r\n\r\n").readResponse().status());
        }
        try (RawHttpClient fresh = new RawHttpClient(proxyPort)) {
            assertEquals(200, fresh.send("GET http://" + origin.authority() + "/ HTTP/1.1\r\nHost: " + origin.authority() + "\r\n"
                    + "Proxy-Authorization: " + basic("cust-8", "new-pass") + "\r\n\r\n").readResponse().status());
        }
        // releasing the stale proxy later (the fleet's reconciliation does) is a no-op: releases go by proxy id
        proxy.listeners().release(PROXY_ID).get(10, TimeUnit.SECONDS);
        assertEquals(1, proxy.listeners().served().size());
    }

    @Test
    void shouldTakeNewCredentialsWhenTheSameProxyIsProvisionedAgain() throws Exception {
        proxy.listeners().open(new ProxyAssignment(PROXY_ID, proxyPort, new ProxyCredentials(USERNAME, "rotated"), proxy.modem()))
                .get(10, TimeUnit.SECONDS);
        try (RawHttpClient client = new RawHttpClient(proxyPort)) {
            String request = "GET http://" + origin.authority() + "/ HTTP/1.1\r\nHost: " + origin.authority() + "\r\n"
                    + "Proxy-Authorization: %s\r\n\r\n";
            assertEquals(407, client.send(request.formatted(basic(USERNAME, PASSWORD))).readResponse().status());
            assertEquals(200, client.send(request.formatted(basic(USERNAME, "rotated"))).readResponse().status());
        }
    }

    private ProxyAssignment assignment(long proxyId, int port) {
        return proxy.assignment(proxyId, port);
    }

    private static void assertClosedByProxy(RawHttpClient client) throws IOException {
        try {
            assertEquals(-1, client.read(), "the proxy should have closed the connection");
        } catch (SocketException reset) {
            // a reset is a close too
        }
    }
}
