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
import static org.awaitility.Awaitility.await;
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
        return openListener(settings).port();
    }

    private ProxyListener openListener(ProxySettings settings) throws Exception {
        return proxy.openAnother(OriginPolicy.allowing(List.of(origin.authority())), settings);
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
            assertEquals("HTTP/1.1 414 URI Too Long", response.statusLine(), "RFC 9110's reason phrase");
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
    void shouldServeAHeaderBlockOfExactlyTheLimitCountedWithItsLineEndsAndAnswer431OneByteOver() throws Exception {
        // The header block is what the client sends after the request line's CRLF: every field line with its CRLF,
        // up to the empty line that ends the head (not counted). Once with three field lines, once with 150.
        int port = open(new ProxySettings(8_192, 8_192, Duration.ofSeconds(30), Duration.ofSeconds(60)));
        for (int fieldLines : new int[] {3, 150}) {
            for (int size : new int[] {8_191, 8_192, 8_193}) {
                String block = headerBlock(size, fieldLines);
                try (RawHttpClient client = new RawHttpClient(port)) {
                    RawHttpClient.Response response = client.send(requestLine("/") + "\r\n" + block + "\r\n").readResponse();
                    assertEquals(size <= 8_192 ? 200 : 431, response.status(), size + " bytes in " + fieldLines + " field lines");
                }
            }
        }
        assertEquals(4, origin.received().size(), "the blocks within the limit, and only those, reached the origin");
    }

    @Test
    void shouldServeARequestLineOfExactlyTheLimitAndAnswer414OneByteOver() throws Exception {
        // The request line is method, target and version, without its CRLF (RFC 9112 section 3).
        int port = open(new ProxySettings(8_192, 8_192, Duration.ofSeconds(30), Duration.ofSeconds(60)));
        for (int length : new int[] {8_191, 8_192, 8_193}) {
            try (RawHttpClient client = new RawHttpClient(port)) {
                RawHttpClient.Response response = client.send(requestLineOf(length) + "\r\n" + headerBlock(300, 3) + "\r\n").readResponse();
                assertEquals(length <= 8_192 ? 200 : 414, response.status(), "a request line of " + length + " bytes");
            }
        }
    }

    @Test
    void shouldServeARequestLineOfExactlyTheLimitWhoseCrAndLfArriveApart() throws Exception {
        ProxyListener listener = openListener(new ProxySettings(8_192, 8_192, Duration.ofSeconds(30), Duration.ofSeconds(60)));
        String line = requestLineOf(8_192);
        try (RawHttpClient client = new RawHttpClient(listener.port())) {
            client.send(line + "\r");
            // The agent has read up to the CR (TrafficCounter counts before the codec decodes): the LF comes apart.
            await().atMost(Duration.ofSeconds(10)).until(() -> listener.bytesIn() == line.length() + 1);
            RawHttpClient.Response response = client.send("\n" + headerBlock(300, 3) + "\r\n").readResponse();
            assertEquals(200, response.status(), "the CR of a full-length line is a line end, not a byte too many");
        }
    }

    /** {@code GET http://<origin>/<path> HTTP/1.1}, without a line end. */
    private String requestLine(String path) {
        return "GET http://" + origin.authority() + path + " HTTP/1.1";
    }

    /** A request line of exactly {@code length} bytes (without its CRLF), made long by its query. */
    private String requestLineOf(int length) {
        String shortest = requestLine("/?q=");
        return requestLine("/?q=" + "a".repeat(length - shortest.length()));
    }

    /**
     * A header block of exactly {@code size} bytes on the wire in {@code fieldLines} field lines, each with its CRLF:
     * Host, Proxy-Authorization, then {@code X-Pad-<n>} lines sharing the rest.
     */
    private String headerBlock(int size, int fieldLines) {
        StringBuilder block = new StringBuilder("Host: " + origin.authority() + "\r\n"
                + "Proxy-Authorization: " + basic(USERNAME, PASSWORD) + "\r\n");
        int pads = fieldLines - 2;
        for (int i = 0; i < pads; i++) {
            String name = String.format("X-Pad-%03d: ", i);
            int left = size - block.length();
            int valueLength = i < pads - 1 ? left / (pads - i) - name.length() - 2 : left - name.length() - 2;
            block.append(name).append("p".repeat(valueLength)).append("\r\n");
        }
        if (block.length() != size) {
            throw new IllegalStateException("built " + block.length() + " bytes, wanted " + size);
        }
        return block.toString();
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
