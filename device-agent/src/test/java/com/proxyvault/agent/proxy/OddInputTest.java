package com.proxyvault.agent.proxy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static com.proxyvault.agent.proxy.ListenerFixture.ascii;
import static com.proxyvault.agent.proxy.ListenerFixture.concat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Faults found by using the agent as a new user would (docs/device-agent.md, "Tried as a new user"), each on real
 * sockets: odd-but-valid or plainly wrong input must get the right answer (RFC 1928/1929, RFC 9110/9112), never a
 * silent close, a hang or a dropped answer.
 */
class OddInputTest {

    private static final byte[] PING = "ping through the tunnel".getBytes(StandardCharsets.US_ASCII);

    @RegisterExtension
    final ListenerFixture proxy = new ListenerFixture("odd", "input");

    // ---- SOCKS5 ---------------------------------------------------------------------------

    @Test
    void shouldAnswerASocks5GreetingListingNoMethodsWithNoAcceptableMethods() throws IOException {
        try (Socks5Client client = new Socks5Client(proxy.port())) {
            client.send(new byte[] {0x05, 0x00}); // VER 5, NMETHODS 0

            assertArrayEquals(new byte[] {0x05, (byte) 0xFF}, client.readExactly(2), "RFC 1928 section 3: X'FF', then close");
            assertEquals(-1, client.readByteOrEnd());
        }
    }

    @Test
    void shouldAnswerASocks5RequestWithAWrongVersionWithGeneralFailureAndClose() throws IOException {
        // docs/decisions.md "SOCKS5 VER other than 5": REP X'01', not X'08' (that one says "address type not supported").
        int port = proxy.echo().port();
        for (byte version : new byte[] {0x04, 0x08, 0x00}) {
            try (Socks5Client client = new Socks5Client(proxy.port())) {
                client.send(concat(proxy.socksHandshake(), new byte[] {version, 0x01, 0x00, 0x01, 127, 0, 0, 1, (byte) (port >> 8), (byte) port}));

                client.readExactly(4); // method and authentication answers
                byte[] reply = client.readExactly(10);
                assertEquals(0x05, reply[0], "a SOCKS5 reply: the greeting settled the version");
                assertEquals(0x01, reply[1], "REP general SOCKS server failure for VER " + version);
                assertEquals(-1, client.readByteOrEnd(), "RFC 1928 section 6: closed after a failure reply");
            }
        }
        assertEquals(0, proxy.echo().accepted(), "nothing is connected for a request that is not SOCKS5");
    }

    @Test
    void shouldAnswerAnUnknownSocks5AddressTypeWithAddressTypeNotSupported() throws IOException {
        for (byte atyp : new byte[] {0x00, 0x02, 0x05, (byte) 0xFF}) {
            try (Socks5Client client = new Socks5Client(proxy.port())) {
                client.send(concat(proxy.socksHandshake(), new byte[] {0x05, 0x01, 0x00, atyp, 127, 0, 0, 1, 0x00, 0x50}));

                client.readExactly(4);
                assertEquals(0x08, client.readExactly(10)[1], "RFC 1928 section 6: X'08' address type not supported, ATYP " + atyp);
                assertEquals(-1, client.readByteOrEnd());
            }
        }
    }

    /**
     * RFC 1928 section 5: a DOMAINNAME is 1 to 255 octets, so each of the first five is a valid request of a valid
     * address type. The first four are no host names a resolver can look up (a label over 63 octets, RFC 1035 section
     * 2.3.4; an empty label; octets outside ASCII), so the host cannot be reached: X'04' without a lookup, as for the
     * fifth, a dotted 255-octet name under {@code .invalid} (RFC 6761) that is looked up and not found. The last, a
     * name of length 0, names no host either: X'04' too, not looked up. Nothing is connected. Hostile review (L4):
     * {@code 'a' * 255} got X'08' "address type not supported"; verification review of its fix (L3): the empty name
     * still got X'01'.
     */
    @Test
    void shouldAnswerASocks5DomainNameNoResolverCanUseWithHostUnreachable() throws IOException {
        int port = proxy.echo().port();
        byte[][] names = {
                ascii("a".repeat(255)),
                ascii("a".repeat(64) + ".example"),
                ascii("a..example"),
                concat(new byte[] {(byte) 0xC3, (byte) 0xA9}, ascii(".example")),
                ascii(("a".repeat(63) + ".").repeat(3) + "a".repeat(55) + ".invalid"), // 255 octets, labels of 63 at most
                new byte[0]}; // length octet 0 (was X'01'): the resolver answers "" with loopback, it must not get that far
        for (byte[] name : names) {
            String text = new String(name, StandardCharsets.ISO_8859_1);
            String what = name.length + " octets, " + (text.length() > 24 ? text.substring(0, 24) + "…" : text);
            try (Socks5Client client = new Socks5Client(proxy.port())) {
                client.send(concat(proxy.socksHandshake(), new byte[] {0x05, 0x01, 0x00, 0x03, (byte) name.length}, name,
                        new byte[] {(byte) (port >> 8), (byte) port}));

                client.readExactly(4); // method and authentication answers
                assertEquals(0x04, client.readExactly(10)[1], "RFC 1928 section 6: X'04' host unreachable for " + what);
                assertEquals(-1, client.readByteOrEnd(), "closed after a failure reply: " + what);
            }
        }
        assertEquals(0, proxy.echo().accepted(), "nothing is connected for a name no resolver can use");
    }

    @Test
    void shouldRelayTheAnswerToASocks5CustomerThatHalfClosesAfterItsRequest() throws IOException {
        int port = proxy.echo().port();
        try (Socks5Client client = new Socks5Client(proxy.port())) {
            client.send(concat(proxy.socksHandshake(), new byte[] {0x05, 0x01, 0x00, 0x01, 127, 0, 0, 1, (byte) (port >> 8), (byte) port}, PING));
            client.shutdownOutput();

            client.readExactly(4);
            assertEquals(0x00, client.readExactly(10)[1], "REP succeeded");
            assertArrayEquals(PING, client.readExactly(PING.length), "the origin's answer after the customer's FIN");
            assertEquals(-1, client.readByteOrEnd(), "the FIN went on to the origin, which closed");
        }
    }

    // ---- HTTP -----------------------------------------------------------------------------

    @Test
    void shouldRelayTheAnswerToAConnectCustomerThatHalfClosesAfterItsFirstBytes() throws IOException {
        try (RawHttpClient client = new RawHttpClient(proxy.port())) {
            client.sendBytes(concat(ascii("CONNECT 127.0.0.1:" + proxy.echo().port() + " HTTP/1.1\r\n" + proxy.credentials() + "\r\n"), PING));
            client.shutdownOutput();

            assertEquals(200, client.readResponse().status());
            assertArrayEquals(PING, client.readBytes(PING.length));
            assertEquals(-1, client.read());
        }
    }

    @Test
    void shouldAnswerAnAbsoluteFormRequestFromACustomerThatHalfCloses() throws IOException {
        try (RawHttpClient client = new RawHttpClient(proxy.port())) {
            client.send("GET http://" + proxy.web().authority() + "/fin-after-request HTTP/1.1\r\n" + proxy.credentials() + "\r\n"
                    + "GET http://" + proxy.web().authority() + "/second HTTP/1.1\r\n" + proxy.credentials() + "\r\n");
            client.shutdownOutput();

            for (int i = 0; i < 2; i++) {
                RawHttpClient.Response response = client.readResponse();
                assertEquals(200, response.status());
                assertEquals(TestOrigin.GREETING, response.body());
            }
            assertEquals(-1, client.read(), "closed once everything it sent was answered");
        }
    }

    @Test
    void shouldAnswerHttp2PriorKnowledgeWithVersionNotSupported() throws IOException {
        try (RawHttpClient client = new RawHttpClient(proxy.port())) {
            RawHttpClient.Response response = client.send("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").readResponse();

            assertEquals("HTTP/1.1 505 HTTP Version Not Supported", response.statusLine());
            assertClosed(client);
        }
    }

    @Test
    void shouldAnswerABodyPastTheLimitWith413AndClose() throws IOException {
        try (RawHttpClient client = new RawHttpClient(proxy.port())) {
            RawHttpClient.Response response = client.send("POST http://" + proxy.web().authority() + "/echo HTTP/1.1\r\n" + proxy.credentials()
                    + "Content-Length: 99999999999\r\n\r\n").readResponse();

            assertEquals(413, response.status());
            assertEquals("close", response.header("Connection"));
            assertClosed(client);
        }
        assertEquals(0, proxy.web().received().size());
    }

    @Test
    void shouldRefuseIpv6TargetsWithoutBracketsAndServeThemWithBrackets() throws IOException {
        try (RawHttpClient client = new RawHttpClient(proxy.port())) {
            assertEquals(400, client.send("GET http://::1:" + proxy.web().port() + "/ HTTP/1.1\r\n" + proxy.credentials() + "\r\n").readResponse().status());
            assertEquals(400, client.send("CONNECT ::1:" + proxy.echo().port() + " HTTP/1.1\r\n" + proxy.credentials() + "\r\n").readResponse().status());
            RawHttpClient.Response bracketed = client.send("CONNECT [::1]:" + proxy.echo().port() + " HTTP/1.1\r\n" + proxy.credentials() + "\r\n").readResponse();
            assertTrue(bracketed.status() == 403 || bracketed.status() == 502,
                    "[::1] is understood as ::1 (not allowlisted here, or nothing listens): " + bracketed.statusLine());
        }
    }

    @Test
    void shouldTunnelToAnIpv6LiteralOverConnectAndSocks5() throws Exception {
        try (EchoOrigin v6 = new EchoOrigin(java.net.InetAddress.getByName("::1"))) {
            int port = proxy.openAnother(OriginPolicy.allowing(List.of("[::1]:" + v6.port())), ProxySettings.DEFAULTS).port();
            try (RawHttpClient client = new RawHttpClient(port)) {
                client.sendBytes(concat(ascii("CONNECT [::1]:" + v6.port() + " HTTP/1.1\r\n" + proxy.credentials() + "\r\n"), PING));
                assertEquals(200, client.readResponse().status());
                assertArrayEquals(PING, client.readBytes(PING.length));
            }
            try (Socks5Client client = new Socks5Client(port)) {
                byte[] loopback = new byte[16];
                loopback[15] = 1;
                client.send(concat(proxy.socksHandshake(), new byte[] {0x05, 0x01, 0x00, 0x04}, loopback,
                        new byte[] {(byte) (v6.port() >> 8), (byte) v6.port()}, PING));
                client.readExactly(4);
                byte[] head = client.readExactly(4);
                assertEquals(0x00, head[1], "REP succeeded");
                assertEquals(0x04, head[3], "BND.ADDR is the IPv6 origin connection's local address");
                client.readExactly(16 + 2);
                assertArrayEquals(PING, client.readExactly(PING.length));
            }
        }
    }

    @Test
    void shouldServeEveryConnectionOfABurstOpenedAtOnce() throws IOException {
        // The listening sockets accept one connection per readiness report (level-triggered, see ProxyListener.bind):
        // connections queued together must still all be accepted, none left waiting in the backlog.
        List<RawHttpClient> clients = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 64; i++) {
                clients.add(new RawHttpClient(proxy.port()));
            }
            for (RawHttpClient client : clients) {
                client.send("GET http://" + proxy.web().authority() + "/burst HTTP/1.1\r\n\r\n"); // no credentials: 407
            }
            for (RawHttpClient client : clients) {
                assertEquals(407, client.readResponse().status());
            }
        } finally {
            for (RawHttpClient client : clients) {
                client.close();
            }
        }
    }

    private static void assertClosed(RawHttpClient client) throws IOException {
        try {
            assertEquals(-1, client.read());
        } catch (SocketException reset) {
            // a reset is a close too
        }
    }
}
