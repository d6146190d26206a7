package com.proxyvault.agent.proxy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static com.proxyvault.agent.proxy.ListenerFixture.ascii;
import static com.proxyvault.agent.proxy.ListenerFixture.concat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Clients that put more than one protocol step into one TCP write, on real sockets: the request and the first
 * tunnel bytes (a TLS client sends its ClientHello right behind the CONNECT without waiting for the 200, as
 * curl's and browsers' "TCP fast open"/optimistic modes do), the whole SOCKS5 handshake at once, pipelined
 * absolute-form requests (RFC 9112 section 9.3.2). Every byte must arrive, in order, exactly once.
 */
class OneWriteTest {

    private static final String USERNAME = "one-write";
    private static final String PASSWORD = "pw";
    /** The first bytes of a TLS 1.2 ClientHello record (content type 22, version 3.1, a length) and some body. */
    private static final byte[] CLIENT_HELLO = concat(new byte[] {0x16, 0x03, 0x01, 0x00, 0x2a, 0x01, 0x00, 0x00, 0x26, 0x03, 0x03},
            "not really random, 32 bytes long".getBytes(StandardCharsets.US_ASCII), new byte[] {0x0d, 0x0a, 0x00, 0x0a});

    @RegisterExtension
    final ListenerFixture proxy = new ListenerFixture(USERNAME, PASSWORD);

    private String connectHead(String authorization) {
        return "CONNECT 127.0.0.1:" + proxy.echo().port() + " HTTP/1.1\r\n"
                + "Host: 127.0.0.1:" + proxy.echo().port() + "\r\n"
                + authorization
                + "\r\n";
    }

    private String get(String path) {
        return "GET http://" + proxy.web().authority() + path + " HTTP/1.1\r\n"
                + "Host: " + proxy.web().authority() + "\r\n"
                + proxy.credentials()
                + "\r\n";
    }

    @Test
    void shouldTunnelAClientHelloSentInTheSameWriteAsTheConnect() throws IOException {
        try (RawHttpClient client = new RawHttpClient(proxy.port())) {
            client.sendBytes(concat(ascii(connectHead(proxy.credentials())), CLIENT_HELLO));

            assertEquals(200, client.readResponse().status());
            assertArrayEquals(CLIENT_HELLO, client.readBytes(CLIENT_HELLO.length), "the echo origin got the ClientHello");
        }
    }

    @Test
    void shouldTunnelHttpLookingBytesSentWithTheConnectWithoutServingThemAsProxyRequests() throws IOException {
        String inner = get("/not-for-the-proxy");
        try (RawHttpClient client = new RawHttpClient(proxy.port())) {
            client.sendBytes(ascii(connectHead(proxy.credentials()) + inner));

            assertEquals(200, client.readResponse().status());
            assertEquals(inner, new String(client.readBytes(inner.length()), StandardCharsets.US_ASCII));
        }
        assertEquals(0, proxy.web().received().size(), "the bytes inside the tunnel are the origin's, never a proxy request");
    }

    @Test
    void shouldServeAConnectPipelinedBehindAnAbsoluteFormRequestWithItsTunnelBytes() throws IOException {
        try (RawHttpClient client = new RawHttpClient(proxy.port())) {
            client.sendBytes(concat(ascii(get("/first") + connectHead(proxy.credentials())), CLIENT_HELLO));

            RawHttpClient.Response first = client.readResponse();
            assertEquals(200, first.status());
            assertEquals(TestOrigin.GREETING, first.body());
            assertEquals(200, client.readResponse().status(), "the CONNECT");
            assertArrayEquals(CLIENT_HELLO, client.readBytes(CLIENT_HELLO.length));
        }
    }

    @Test
    void shouldServeARequestSentInTheSameWriteBehindAConnectThatIsRefused() throws IOException {
        try (RawHttpClient client = new RawHttpClient(proxy.port())) {
            client.sendBytes(ascii(connectHead("") + get("/after-407")));

            assertEquals(407, client.readResponse().status(), "no credentials on the CONNECT");
            RawHttpClient.Response next = client.readResponse();
            assertEquals(200, next.status());
            assertEquals(TestOrigin.GREETING, next.body());
        }
        assertEquals("/after-407", proxy.web().received().get(0).uri());
    }

    @Test
    void shouldAnswerThreeAbsoluteFormRequestsPipelinedInOneWriteInOrder() throws IOException {
        try (RawHttpClient client = new RawHttpClient(proxy.port())) {
            client.sendBytes(ascii(get("/one") + get("/two") + get("/three")));

            for (int i = 0; i < 3; i++) {
                RawHttpClient.Response response = client.readResponse();
                assertEquals(200, response.status());
                assertEquals(TestOrigin.GREETING, response.body());
            }
        }
        assertEquals(List.of("/one", "/two", "/three"), proxy.web().received().stream().map(TestOrigin.ReceivedRequest::uri).toList());
    }

    @Test
    void shouldTunnelBytesSentInTheSameWriteAsTheSocks5Request() throws IOException {
        try (Socks5Client client = new Socks5Client(proxy.port())) {
            assertEquals(0x02, client.greet(0x02));
            assertEquals(0, client.authenticate(USERNAME, PASSWORD));
            client.send(concat(socksConnect(proxy.echo().port()), CLIENT_HELLO));

            assertSocksSucceeded(client.readExactly(10));
            assertArrayEquals(CLIENT_HELLO, client.readExactly(CLIENT_HELLO.length));
        }
    }

    @Test
    void shouldServeTheWholeSocks5HandshakeAndFirstBytesSentInOneWrite() throws IOException {
        try (Socks5Client client = new Socks5Client(proxy.port())) {
            client.send(concat(proxy.socksHandshake(), socksConnect(proxy.echo().port()), CLIENT_HELLO));

            assertArrayEquals(new byte[] {0x05, 0x02}, client.readExactly(2), "method: username/password");
            assertArrayEquals(new byte[] {0x01, 0x00}, client.readExactly(2), "authenticated");
            assertSocksSucceeded(client.readExactly(10));
            assertArrayEquals(CLIENT_HELLO, client.readExactly(CLIENT_HELLO.length));
        }
    }

    @Test
    void shouldServeASocks5HandshakeSentOneByteAtATime() throws IOException {
        byte[] handshake = concat(proxy.socksHandshake(), socksConnect(proxy.echo().port()));
        try (Socks5Client client = new Socks5Client(proxy.port())) {
            for (byte b : handshake) {
                client.send(b);
            }
            assertArrayEquals(new byte[] {0x05, 0x02}, client.readExactly(2));
            assertArrayEquals(new byte[] {0x01, 0x00}, client.readExactly(2));
            assertSocksSucceeded(client.readExactly(10));
            client.send(CLIENT_HELLO);
            assertArrayEquals(CLIENT_HELLO, client.readExactly(CLIENT_HELLO.length));
        }
    }

    /** A success reply with an IPv4 BND.ADDR: VER 5, REP 0, RSV, ATYP 1, four address and two port bytes. */
    private static void assertSocksSucceeded(byte[] reply) {
        assertEquals(0x05, reply[0]);
        assertEquals(0x00, reply[1], "REP succeeded");
        assertEquals(0x01, reply[3], "ATYP IPv4");
    }

    private static byte[] socksConnect(int port) {
        return new byte[] {0x05, 0x01, 0x00, 0x01, 127, 0, 0, 1, (byte) (port >> 8), (byte) port};
    }
}
