package com.proxyvault.agent.proxy;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static com.proxyvault.agent.proxy.RawHttpClient.basic;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The four faults of issue 8 on real sockets: request line and header block limits (414 / 431 past
 * them, not 400), the request-head timeout that closes half-sent requests, and the idle timeout.
 * Timeouts are short here so the tests are quick; nothing asserts how long anything took.
 */
class ListenerLimitsTest {

    private static final String USERNAME = "cust-1";
    private static final String PASSWORD = "pw-1";
    private static final Duration SHORT = Duration.ofMillis(300);

    /** Each test opens a listener of its own ({@link #open}) beside the fixture's, with the settings it tests. */
    @RegisterExtension
    final ListenerFixture proxy = new ListenerFixture(USERNAME, PASSWORD);
    /** The fixture's HTTP origin, the only target the tests' listeners allow. */
    private TestOrigin origin;

    @BeforeEach
    void shortNames() {
        origin = proxy.web();
    }

    private int open(ProxySettings settings) throws Exception {
        return proxy.openAnother(OriginPolicy.allowing(List.of(origin.authority())), settings).port();
    }

    private String get(String pathAndQuery, String extraHeaders) {
        return "GET http://" + origin.authority() + pathAndQuery + " HTTP/1.1\r\n"
                + "Host: " + origin.authority() + "\r\n"
                + "Proxy-Authorization: " + basic(USERNAME, PASSWORD) + "\r\n"
                + extraHeaders + "\r\n";
    }

    @Test
    void shouldRelayRequestLinesLongerThanFourAndEightKibibytes() throws Exception {
        int port = open(ProxySettings.DEFAULTS);
        try (RawHttpClient client = new RawHttpClient(port)) {
            for (int length : new int[] {4_070, 9_000, 60_000}) {
                String query = "/search?q=" + "a".repeat(length);
                RawHttpClient.Response response = client.send(get(query, "")).readResponse();
                assertEquals(200, response.status(), "request line with a " + length + "-byte query");
            }
        }
        assertEquals(3, origin.received().size());
        assertEquals("/search?q=" + "a".repeat(60_000), origin.received().get(2).uri());
    }

    @Test
    void shouldAnswerUriTooLongPastTheRequestLineLimitAndClose() throws Exception {
        int port = open(ProxySettings.DEFAULTS);
        try (RawHttpClient client = new RawHttpClient(port)) {
            RawHttpClient.Response response = client.send(get("/search?q=" + "a".repeat(70_000), "")).readResponse();
            assertEquals(414, response.status());
            assertEquals("close", response.header("Connection"));
            assertClosedByProxy(client);
        }
        assertTrue(origin.received().isEmpty());
    }

    @Test
    void shouldRelayAnEightKibibyteCookieAndAnswer431PastTheHeaderLimit() throws Exception {
        int port = open(ProxySettings.DEFAULTS);
        try (RawHttpClient client = new RawHttpClient(port)) {
            RawHttpClient.Response response = client.send(get("/", "Cookie: " + "c".repeat(8_200) + "\r\n")).readResponse();
            assertEquals(200, response.status());
        }
        assertEquals("c".repeat(8_200), origin.received().get(0).headers().getFirst("Cookie"));

        try (RawHttpClient client = new RawHttpClient(port)) {
            RawHttpClient.Response response = client.send(get("/", "Cookie: " + "c".repeat(70_000) + "\r\n")).readResponse();
            assertEquals(431, response.status());
            assertClosedByProxy(client);
        }
        assertEquals(1, origin.received().size());
    }

    @Test
    void shouldApplyConfiguredLimits() throws Exception {
        int port = open(new ProxySettings(8_192, 8_192, Duration.ofSeconds(30), Duration.ofSeconds(60)));
        try (RawHttpClient client = new RawHttpClient(port)) {
            assertEquals(414, client.send(get("/?q=" + "a".repeat(9_000), "")).readResponse().status());
        }
        try (RawHttpClient client = new RawHttpClient(port)) {
            assertEquals(431, client.send(get("/", "Cookie: " + "c".repeat(9_000) + "\r\n")).readResponse().status());
        }
    }

    @Test
    void shouldCloseConnectionsThatSendHalfARequestLine() throws Exception {
        int port = open(ProxySettings.DEFAULTS.withTimeouts(SHORT, Duration.ofSeconds(60)));
        List<Socket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < 50; i++) {
                Socket socket = new Socket("127.0.0.1", port);
                socket.setSoTimeout(15_000);
                socket.getOutputStream().write("GET http://example.com/sl".getBytes(StandardCharsets.US_ASCII));
                socket.getOutputStream().flush();
                sockets.add(socket);
            }
            for (Socket socket : sockets) {
                assertEquals(-1, readOrReset(socket.getInputStream()), "a half-sent request line gets no answer, only a close");
            }
        } finally {
            for (Socket socket : sockets) {
                socket.close();
            }
        }
    }

    @Test
    void shouldCloseAKeptAliveConnectionThatSendsNoNextRequest() throws Exception {
        int port = open(ProxySettings.DEFAULTS.withTimeouts(SHORT, Duration.ofSeconds(60)));
        try (RawHttpClient client = new RawHttpClient(port)) {
            assertEquals(200, client.send(get("/", "")).readResponse().status());
            assertClosedByProxy(client);
        }
    }

    @Test
    void shouldKeepATunnelOpenPastTheRequestHeadTimeoutButCloseItWhenIdle() throws Exception {
        int port = open(ProxySettings.DEFAULTS.withTimeouts(SHORT, Duration.ofSeconds(2)));
        try (RawHttpClient client = new RawHttpClient(port)) {
            assertEquals(200, client.send("CONNECT " + origin.authority() + " HTTP/1.1\r\n"
                    + "Proxy-Authorization: " + basic(USERNAME, PASSWORD) + "\r\n\r\n").readResponse().status());
            Thread.sleep(SHORT.multipliedBy(3).toMillis()); // past the request-head timeout, well within the idle one
            RawHttpClient.Response through = client.send("GET / HTTP/1.1\r\nHost: " + origin.authority() + "\r\n\r\n").readResponse();
            assertEquals(200, through.status(), "the request-head timer stops once the CONNECT is complete");
            assertClosedByProxy(client); // then nothing moves: idle
        }
    }

    private static void assertClosedByProxy(RawHttpClient client) throws IOException {
        try {
            assertEquals(-1, client.read(), "the proxy should have closed the connection");
        } catch (SocketException reset) {
            // a reset is a close too
        }
    }

    private static int readOrReset(InputStream in) throws IOException {
        try {
            return in.read();
        } catch (SocketException reset) {
            return -1;
        }
    }
}
