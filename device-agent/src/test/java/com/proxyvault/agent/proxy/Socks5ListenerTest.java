package com.proxyvault.agent.proxy;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static com.proxyvault.agent.proxy.RawHttpClient.basic;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * SOCKS5 (RFC 1928 CONNECT, RFC 1929 username/password) on the same port as HTTP, on real sockets:
 * a byte-exact client ({@link Socks5Client}), curl's {@code --socks5-hostname} as a second client, and a
 * real origin on 127.0.0.1.
 */
class Socks5ListenerTest {

    private static final long PROXY_ID = 5;
    private static final String USERNAME = "socks-user";
    private static final String PASSWORD = "socks-pass";
    private static final int NO_AUTH = 0x00;
    private static final int USERNAME_PASSWORD = 0x02;
    private static final int CONNECT = 0x01;
    private static final int BIND = 0x02;
    private static final int UDP_ASSOCIATE = 0x03;

    /** The request-head timeout is short: a handshake stuck half way is closed soon. */
    @RegisterExtension
    final ListenerFixture proxy = new ListenerFixture(USERNAME, PASSWORD).withProxyId(PROXY_ID)
            .withSettings(ProxySettings.DEFAULTS.withTimeouts(Duration.ofMillis(500), Duration.ofSeconds(60)));
    /** The HTTP origin, allowlisted as 127.0.0.1 and as localhost. */
    private TestOrigin origin;
    private int proxyPort;

    @BeforeEach
    void shortNames() {
        origin = proxy.web();
        proxyPort = proxy.port();
    }

    private String httpGet(String path) {
        return "GET " + path + " HTTP/1.1\r\nHost: " + origin.authority() + "\r\nConnection: close\r\n\r\n";
    }

    @Test
    void shouldConnectToADomainNameAfterUsernamePasswordAuthentication() throws IOException {
        try (Socks5Client client = new Socks5Client(proxyPort)) {
            assertEquals(USERNAME_PASSWORD, client.greet(NO_AUTH, USERNAME_PASSWORD));
            assertEquals(0, client.authenticate(USERNAME, PASSWORD));
            assertEquals(0, client.request(CONNECT, "localhost", origin.port()), "succeeded");
            client.send(httpGet("/via-socks"));
            String response = client.readToEnd();
            assertTrue(response.startsWith("HTTP/1.1 200"), response);
            assertTrue(response.endsWith(TestOrigin.GREETING), response);
        }
        assertEquals("/via-socks", origin.received().get(0).uri());
    }

    @Test
    void shouldConnectToAnIpv4Address() throws IOException {
        try (Socks5Client client = new Socks5Client(proxyPort)) {
            assertEquals(USERNAME_PASSWORD, client.greet(USERNAME_PASSWORD));
            assertEquals(0, client.authenticate(USERNAME, PASSWORD));
            assertEquals(0, client.connectIpv4(new byte[] {127, 0, 0, 1}, origin.port()));
            client.send(httpGet("/v4"));
            assertTrue(client.readToEnd().endsWith(TestOrigin.GREETING));
        }
    }

    @Test
    void shouldServeHttpAndSocks5OnTheSamePort() throws IOException {
        try (RawHttpClient http = new RawHttpClient(proxyPort)) {
            assertEquals(200, http.send("GET http://" + origin.authority() + "/http HTTP/1.1\r\nHost: " + origin.authority()
                    + "\r\nProxy-Authorization: " + basic(USERNAME, PASSWORD) + "\r\n\r\n").readResponse().status());
        }
        try (Socks5Client socks = new Socks5Client(proxyPort)) {
            socks.greet(USERNAME_PASSWORD);
            socks.authenticate(USERNAME, PASSWORD);
            assertEquals(0, socks.request(CONNECT, "localhost", origin.port()));
        }
    }

    @Test
    void shouldAnswerAGreetingWithoutUsernamePasswordWithNoAcceptableMethodsAndClose() throws IOException {
        try (Socks5Client client = new Socks5Client(proxyPort)) {
            assertEquals(0xFF, client.greet(NO_AUTH), "RFC 1928 section 3: X'FF' NO ACCEPTABLE METHODS");
            assertEquals(-1, client.readByteOrEnd());
        }
        assertTrue(origin.received().isEmpty());
    }

    @Test
    void shouldFailWrongCredentialsWithANonZeroStatusAndClose() throws IOException {
        String[][] wrong = {{USERNAME, "wrong"}, {"someone-else", PASSWORD}, {"", ""}};
        for (String[] credentials : wrong) {
            try (Socks5Client client = new Socks5Client(proxyPort)) {
                assertEquals(USERNAME_PASSWORD, client.greet(USERNAME_PASSWORD));
                assertNotEquals(0, client.authenticate(credentials[0], credentials[1]), "RFC 1929: status other than X'00'");
                assertEquals(-1, client.readByteOrEnd(), "RFC 1929: the server MUST close the connection");
            }
        }
        assertTrue(origin.received().isEmpty());
    }

    @Test
    void shouldRefuseNonPublicTargetsAsNotAllowedByRulesetWithoutConnecting() throws IOException {
        try (ServerSocketChannel internal = ServerSocketChannel.open()) {
            internal.bind(new InetSocketAddress("127.0.0.1", 0));
            internal.configureBlocking(false);
            int internalPort = internal.socket().getLocalPort();
            for (String target : new String[] {"localhost", "127.0.0.1"}) {
                try (Socks5Client client = new Socks5Client(proxyPort)) {
                    client.greet(USERNAME_PASSWORD);
                    client.authenticate(USERNAME, PASSWORD);
                    assertEquals(0x02, client.request(CONNECT, target, internalPort), "X'02' connection not allowed by ruleset");
                    assertEquals(-1, client.readByteOrEnd());
                }
            }
            try (Socks5Client client = new Socks5Client(proxyPort)) {
                client.greet(USERNAME_PASSWORD);
                client.authenticate(USERNAME, PASSWORD);
                assertEquals(0x02, client.connectIpv4(new byte[] {(byte) 169, (byte) 254, (byte) 169, (byte) 254}, 80));
            }
            assertNull(internal.accept(), "no connection may be opened to a refused target");
        }
    }

    @Test
    void shouldAnswerCommandNotSupportedToBindAndUdpAssociate() throws IOException {
        for (int command : new int[] {BIND, UDP_ASSOCIATE}) {
            try (Socks5Client client = new Socks5Client(proxyPort)) {
                client.greet(USERNAME_PASSWORD);
                client.authenticate(USERNAME, PASSWORD);
                assertEquals(0x07, client.request(command, "localhost", origin.port()), "X'07' command not supported");
                assertEquals(-1, client.readByteOrEnd());
            }
        }
    }

    @Test
    void shouldAnswerHostUnreachableForANameThatDoesNotResolve() throws IOException {
        try (Socks5Client client = new Socks5Client(proxyPort)) {
            client.greet(USERNAME_PASSWORD);
            client.authenticate(USERNAME, PASSWORD);
            assertEquals(0x04, client.request(CONNECT, "no-such-host.invalid", 80), "X'04' host unreachable");
        }
    }

    @Test
    void shouldRejectSocks4WithItsRejectionReply() throws IOException {
        try (Socks5Client client = new Socks5Client(proxyPort)) {
            client.send(new byte[] {0x04, 0x01, 0x00, 0x50, 93, (byte) 184, (byte) 216, 34, 'u', 0});
            byte[] reply = client.readExactly(8);
            assertEquals(0x00, reply[0]);
            assertEquals(0x5B, reply[1], "SOCKS4 CD 91: request rejected or failed");
            assertEquals(-1, client.readByteOrEnd());
        }
    }

    @Test
    void shouldCloseAHandshakeStuckHalfWay() throws IOException {
        try (Socks5Client client = new Socks5Client(proxyPort)) {
            client.greet(USERNAME_PASSWORD);
            client.send(new byte[] {0x01, 0x0A, 's', 'o'}); // half a username, then nothing
            assertEquals(-1, client.readByteOrEnd(), "the request-head timeout covers the SOCKS handshake");
        }
    }

    @Test
    void shouldCountEveryByteInAndOutPerProxy() throws IOException {
        long written;
        long read;
        try (Socks5Client client = new Socks5Client(proxyPort)) {
            client.greet(USERNAME_PASSWORD);
            client.authenticate(USERNAME, PASSWORD);
            client.request(CONNECT, "localhost", origin.port());
            client.send(httpGet("/counted"));
            client.readToEnd();
            written = client.written;
            read = client.read;
        }
        ProxyListener listener = proxy.listener();
        await().atMost(Duration.ofSeconds(10)).until(() -> listener.bytesIn() == written && listener.bytesOut() == read);
        assertTrue(listener.bytesOut() > TestOrigin.GREETING.length());

        long inBefore = listener.bytesIn();
        long outBefore = listener.bytesOut();
        String request = "GET http://" + origin.authority() + "/ HTTP/1.1\r\nHost: " + origin.authority()
                + "\r\nProxy-Authorization: " + basic(USERNAME, PASSWORD) + "\r\n\r\n";
        try (RawHttpClient http = new RawHttpClient(proxyPort)) {
            http.send(request).readResponse();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> listener.bytesIn() == inBefore + request.length());
        assertTrue(listener.bytesOut() > outBefore, "HTTP answers count too");
    }

    @Test
    void shouldServeCurlWithSocks5Hostname() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/curl")), "curl is not installed");
        Process curl = new ProcessBuilder("/usr/bin/curl", "-sS", "--max-time", "20",
                "--socks5-hostname", "127.0.0.1:" + proxyPort, "--proxy-user", USERNAME + ":" + PASSWORD,
                "http://localhost:" + origin.port() + "/curl")
                .redirectErrorStream(true).start();
        String output = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(curl.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, curl.exitValue(), output);
        assertEquals(TestOrigin.GREETING, output);
        assertEquals("/curl", origin.received().get(0).uri());

        Process refused = new ProcessBuilder("/usr/bin/curl", "-sS", "--max-time", "20",
                "--socks5-hostname", "127.0.0.1:" + proxyPort, "--proxy-user", USERNAME + ":wrong",
                "http://localhost:" + origin.port() + "/curl-refused")
                .redirectErrorStream(true).start();
        String refusal = new String(refused.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(refused.waitFor(30, TimeUnit.SECONDS));
        assertNotEquals(0, refused.exitValue(), refusal);
        assertEquals(1, origin.received().size(), "a wrong password reaches nothing");
    }
}
