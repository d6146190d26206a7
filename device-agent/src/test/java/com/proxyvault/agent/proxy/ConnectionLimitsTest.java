package com.proxyvault.agent.proxy;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static com.proxyvault.agent.proxy.ListenerFixture.ascii;
import static com.proxyvault.agent.proxy.ListenerFixture.concat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The agent's connection limits ({@link ConnectionLimits}, docs/fleet.md "Connection limits") on real sockets, with
 * caps small enough to reach in a test. Sources are loopback addresses: Linux accepts the whole of 127/8, so a client
 * bound to 127.0.0.2 is another source to the agent. The hostile review's flood (2026-12-03): 20,000 connections sending
 * one byte each took the agent to its descriptor limit and every other proxy stopped accepting.
 */
class ConnectionLimitsTest {

    private static final String ONE = "127.0.0.1";
    private static final String TWO = "127.0.0.2";
    private static final String THREE = "127.0.0.3";
    private static final byte[] PING = "through the tunnel".getBytes(StandardCharsets.US_ASCII);

    @RegisterExtension
    final ListenerFixture proxy = new ListenerFixture("limits", "secret");

    /** Holds the first answer back until a test queues it: a request being answered. */
    private ScriptedOrigin slowOrigin;
    /** Each test's listener, opened by {@link #open} with the limits it tests (its own {@link ConnectionLimits}). */
    private ProxyListener listener;
    private final List<Socket> sockets = new ArrayList<>();

    @BeforeEach
    void startSlowOrigin() throws IOException {
        slowOrigin = new ScriptedOrigin();
    }

    @AfterEach
    void closeEverything() throws IOException {
        for (Socket socket : sockets) {
            socket.close();
        }
        slowOrigin.close();
    }

    private ProxyListener open(ProxySettings settings) throws Exception {
        listener = proxy.openAnother(OriginPolicy.allowing(List.of(proxy.web().authority(), "127.0.0.1:" + proxy.echo().port(),
                slowOrigin.authority())), settings);
        return listener;
    }

    private ConnectionLimits limits() {
        return listener.limits();
    }

    // ---- (a) per source -------------------------------------------------------------------

    @Test
    void shouldResetConnectionsPastTheCapOfOneSourceWhileAnotherSourceIsServed() throws Exception {
        open(ListenerFixture.DEFAULT_SETTINGS.withHeadPhaseLimits(4, 100));
        for (int i = 0; i < 4; i++) {
            holding(ONE);
        }
        await().until(() -> limits().headPhaseOf(InetAddress.getByName(ONE)) == 4);

        assertReset(ONE, "a fifth connection from 127.0.0.1 without a request");
        assertEquals(1, limits().refused(ConnectionLimits.Refusal.HEAD_PHASE_PER_SOURCE));
        assertEquals("HTTP/1.1 200 OK", getFrom(TWO), "another source still gets its proxy answer");
        assertEquals(4, limits().headPhaseOf(InetAddress.getByName(ONE)), "the one that was reset never counted");
    }

    // ---- (b) in all -----------------------------------------------------------------------

    @Test
    void shouldResetNewConnectionsPastTheCapInAllAndServeThemOnceTheHoldersClose() throws Exception {
        open(ListenerFixture.DEFAULT_SETTINGS.withHeadPhaseLimits(100, 6));
        List<Socket> holders = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            holders.add(holding(ONE));
            holders.add(holding(TWO));
        }
        await().until(() -> limits().headPhase() == 6);

        assertReset(THREE, "a seventh connection, from a third source, with six waiting in all");
        assertEquals(1, limits().refused(ConnectionLimits.Refusal.HEAD_PHASE));

        for (Socket holder : holders) {
            holder.close();
        }
        await().until(() -> limits().headPhase() == 0);
        assertEquals("HTTP/1.1 200 OK", getFrom(THREE));
    }

    // ---- (c) what does not count ----------------------------------------------------------

    @Test
    void shouldNotCountTunnelsOrRequestsBeingAnswered() throws Exception {
        open(ListenerFixture.DEFAULT_SETTINGS.withHeadPhaseLimits(2, 2));
        Socket connectTunnel = connectTunnel(ONE);
        Socket secondTunnel = connectTunnel(ONE);
        Socket socksTunnel = socksTunnel(ONE);
        Socket waitingForItsAnswer = connect(ONE);
        send(waitingForItsAnswer, "GET http://" + slowOrigin.authority() + "/slow HTTP/1.1\r\n" + credentials() + "\r\n");
        await().until(() -> slowOrigin.requestHeads().size() == 1);

        assertEquals(0, limits().headPhase(), "two CONNECT tunnels, a SOCKS5 tunnel and a request at its origin");
        assertEquals(4, limits().customers());
        holding(ONE);
        holding(ONE);
        await().until(() -> limits().headPhase() == 2);
        assertReset(ONE, "the cap of two is reached by connections without a request alone");
        for (Socket tunnel : List.of(connectTunnel, secondTunnel, socksTunnel)) {
            send(tunnel, PING);
            assertArrayEquals(PING, readExactly(tunnel, PING.length), "the tunnels still relay");
        }
    }

    @Test
    void shouldCountAKeptAliveConnectionWaitingForItsNextRequestAndCloseItPastTheCapOnceAnswered() throws Exception {
        open(ListenerFixture.DEFAULT_SETTINGS.withHeadPhaseLimits(1, 10));
        Socket kept = connect(ONE);
        send(kept, get(proxy.web().authority()));
        assertEquals("HTTP/1.1 200 OK", readAnswer(kept).get(0));
        await().until(() -> limits().headPhase() == 1); // answered, kept alive, waiting for its next request
        assertReset(ONE, "the source's one place is taken by the kept-alive connection");
        kept.close();
        await().until(() -> limits().headPhase() == 0);

        // A request being answered leaves the place free; answered, its connection wants it back and is closed instead.
        Socket answered = connect(ONE);
        send(answered, "GET http://" + slowOrigin.authority() + "/slow HTTP/1.1\r\n" + credentials() + "\r\n");
        await().until(() -> slowOrigin.requestHeads().size() == 1);
        holding(ONE);
        await().until(() -> limits().headPhase() == 1);
        slowOrigin.answer("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false);
        List<String> answer = readAnswer(answered);
        assertEquals("HTTP/1.1 200 OK", answer.get(0), "the answer goes out whole");
        assertEquals("ok", answer.get(answer.size() - 1));
        assertEquals(-1, answered.getInputStream().read(), "then a close, not a wait past the cap");
        assertEquals(2, limits().refused(ConnectionLimits.Refusal.HEAD_PHASE_PER_SOURCE));
    }

    @Test
    void shouldCountARequestWhoseAnnouncedBodyHasNotArrived() throws Exception {
        // The request-head timer stops at the head (a slow upload is not cut by it), but a client must not take
        // connections out of the caps by announcing a body it never sends.
        open(ListenerFixture.DEFAULT_SETTINGS.withHeadPhaseLimits(1, 10));
        Socket announcing = connect(ONE);
        String head = "POST http://" + proxy.web().authority() + "/echo HTTP/1.1\r\n" + credentials() + "Content-Length: 10\r\n\r\n";
        send(announcing, head + "half");
        await().until(() -> listener.bytesIn() == head.length() + 4); // the head was read, and stopped the timer
        assertReset(ONE, "the announcing connection still has its source's one place");

        send(announcing, "-done!"); // the body's last six bytes
        List<String> answer = readAnswer(announcing);
        assertEquals("HTTP/1.1 200 OK", answer.get(0));
        assertEquals("half-done!", answer.get(answer.size() - 1));
        await().until(() -> limits().headPhase() == 1); // kept alive after its answer: waiting again
    }

    /**
     * Verification review of the 2026-12-03 fixes, M1: 17 sources × 256 heads announcing 16 MB and sending nothing more
     * kept the head-phase cap in all full for the idle timeout (300 s), since the request-head timer stops at the head.
     * A counted connection may now go the request-head timeout (1 s here) without a byte of its body.
     */
    @Test
    void shouldCloseACountedConnectionWhoseBodyStopsForTheRequestHeadTimeout() throws Exception {
        open(ListenerFixture.DEFAULT_SETTINGS.withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(60)).withHeadPhaseLimits(8, 16));
        Socket stalled = connect(ONE);
        send(stalled, "POST http://" + proxy.web().authority() + "/echo HTTP/1.1\r\n" + credentials()
                + "Content-Length: 16000000\r\n\r\n" + "some of it");
        await().until(() -> limits().headPhase() == 1);

        long start = System.nanoTime();
        assertEquals(-1, stalled.getInputStream().read(), "closed without an answer, long before the idle timeout (60 s)");
        assertTrue(System.nanoTime() - start >= Duration.ofMillis(800).toNanos(), "not before the timeout");
        await().until(() -> limits().headPhase() == 0 && limits().sourcesInHeadPhase() == 0 && limits().customers() == 0);
        assertEquals(0, listener.bodyBudget().held(), "its part of the body went back");
    }

    /** A slow upload that keeps moving is not cut: a byte every 400 ms for 3.2 s, with a 1 s read-gap limit. */
    @Test
    void shouldServeABodyTricklingFasterThanTheRequestHeadTimeout() throws Exception {
        open(ListenerFixture.DEFAULT_SETTINGS.withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(60)));
        Socket trickling = connect(ONE);
        String body = "trickled";
        send(trickling, "POST http://" + proxy.web().authority() + "/echo HTTP/1.1\r\n" + credentials()
                + "Content-Length: " + body.length() + "\r\n\r\n");
        for (char c : body.toCharArray()) {
            Thread.sleep(400);
            send(trickling, String.valueOf(c));
        }
        List<String> answer = readAnswer(trickling);
        assertEquals("HTTP/1.1 200 OK", answer.get(0));
        assertEquals(body, answer.get(answer.size() - 1));
    }

    // ---- (d) back to zero -----------------------------------------------------------------

    @Test
    void shouldReturnEveryCounterToZeroOnceEveryConnectionClosed() throws Exception {
        open(ListenerFixture.DEFAULT_SETTINGS.withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(60)).withHeadPhaseLimits(8, 16));
        // Closed by the client (half of them with a reset), by the request-head timer (1 s), or reset at accept.
        List<Socket> byTheClient = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            Socket socket = holding(ONE);
            if (i % 2 == 0) {
                byTheClient.add(socket); // the others are closed by the request-head timer
            }
        }
        await().until(() -> limits().headPhaseOf(InetAddress.getByName(ONE)) == 8);
        assertReset(ONE, "past the source's cap");
        Socket tunnel = connectTunnel(TWO);
        Socket socks = socksTunnel(TWO);
        Socket kept = connect(TWO);
        send(kept, get(proxy.web().authority()));
        readAnswer(kept);
        Socket unauthenticated = connect(TWO);
        send(unauthenticated, "GET http://" + proxy.web().authority() + "/ HTTP/1.1\r\n\r\n");
        readAnswer(unauthenticated);
        Socket announcing = connect(TWO);
        send(announcing, "POST http://" + proxy.web().authority() + "/echo HTTP/1.1\r\nContent-Length: 10\r\n\r\nhalf");
        Socket halfHandshake = connect(TWO);
        send(halfHandshake, new byte[] {0x05, 0x01, 0x02});
        // A burst that races the agent: connected and reset by the client at once, some before they are admitted.
        for (int i = 0; i < 200; i++) {
            try {
                Socket racing = connect(THREE);
                racing.setSoLinger(true, 0);
                racing.close();
            } catch (SocketException resetAtAccept) {
                // past the cap in all: the agent was quicker
            }
        }

        for (int i = 0; i < byTheClient.size(); i++) {
            byTheClient.get(i).setSoLinger(i % 2 == 0, 0); // half of them reset, half closed
            byTheClient.get(i).close();
        }
        for (Socket socket : List.of(tunnel, socks, kept, unauthenticated, announcing, halfHandshake)) {
            socket.close();
        }

        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            assertEquals(0, limits().headPhase(), "connections in their request-head phase");
            assertEquals(0, limits().sourcesInHeadPhase(), "sources counted");
            assertEquals(0, limits().customers(), "customer connections");
            assertEquals(0, listener.openConnections(), "customer and origin connections of the listener");
        });
    }

    // ---- descriptors ----------------------------------------------------------------------

    @Test
    void shouldResetNewConnectionsPastTheDescriptorCeilingAndServeThemOnceOthersClose() throws Exception {
        int listening = proxy.eventLoop().acceptsPerLoop() ? ProxyEventLoop.LOOPS : 1;
        int reserved = 100;
        // Room for three customer connections with their origins, beside this listener's own listening sockets.
        open(ListenerFixture.DEFAULT_SETTINGS.withOpenFiles(reserved + listening + 2 * 3, reserved));
        assertEquals(3, limits().customerCeiling());
        List<Socket> tunnels = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            tunnels.add(connectTunnel(ONE));
        }

        assertReset(TWO, "a fourth customer connection, with descriptors for three");
        assertEquals(1, limits().refused(ConnectionLimits.Refusal.OPEN_FILES));
        tunnels.get(0).close();
        await().until(() -> limits().customers() == 2);
        assertEquals("HTTP/1.1 200 OK", getFrom(TWO));
    }

    // ---- helpers ----------------------------------------------------------------------------

    /** A connection from {@code source} to the test's listener; closed after the test. */
    private Socket connect(String source) throws IOException {
        Socket socket = new Socket();
        sockets.add(socket);
        socket.setSoTimeout(15_000);
        socket.bind(new InetSocketAddress(source, 0));
        socket.connect(new InetSocketAddress(ONE, listener.port()), 15_000);
        return socket;
    }

    /** A connection from {@code source} that sent the first byte of a request and then nothing. */
    private Socket holding(String source) throws IOException {
        Socket socket = connect(source);
        send(socket, "G");
        return socket;
    }

    /** An authenticated CONNECT tunnel to the echo origin, standing. */
    private Socket connectTunnel(String source) throws IOException {
        Socket socket = connect(source);
        send(socket, "CONNECT 127.0.0.1:" + proxy.echo().port() + " HTTP/1.1\r\n" + credentials() + "\r\n");
        assertEquals("HTTP/1.1 200 Connection Established", readAnswer(socket).get(0));
        return socket;
    }

    /** An authenticated SOCKS5 tunnel to the echo origin, standing. */
    private Socket socksTunnel(String source) throws IOException {
        Socket socket = connect(source);
        int port = proxy.echo().port();
        send(socket, concat(proxy.socksHandshake(), new byte[] {0x05, 0x01, 0x00, 0x01, 127, 0, 0, 1, (byte) (port >> 8), (byte) port}));
        byte[] replies = readExactly(socket, 4 + 10);
        assertEquals(0x00, replies[5], "SOCKS5 REP succeeded");
        return socket;
    }

    /** An authenticated absolute-form GET of the web origin from {@code source} on a connection of its own: the status line. */
    private String getFrom(String source) throws IOException {
        Socket socket = connect(source);
        send(socket, get(proxy.web().authority()));
        return readAnswer(socket).get(0);
    }

    private String get(String authority) {
        return "GET http://" + authority + "/ HTTP/1.1\r\nHost: " + authority + "\r\n" + credentials() + "\r\n";
    }

    private String credentials() {
        return proxy.credentials();
    }

    private static void send(Socket socket, String text) throws IOException {
        send(socket, ascii(text));
    }

    private static void send(Socket socket, byte[] bytes) throws IOException {
        socket.getOutputStream().write(bytes);
        socket.getOutputStream().flush();
    }

    /** One answer: its head's lines, then its body (Content-Length) as the last element. */
    private static List<String> readAnswer(Socket socket) throws IOException {
        InputStream in = socket.getInputStream();
        List<String> lines = new ArrayList<>();
        String line;
        int length = 0;
        while (!(line = readLine(in)).isEmpty()) {
            lines.add(line);
            if (line.regionMatches(true, 0, "Content-Length:", 0, 15)) {
                length = Integer.parseInt(line.substring(15).trim());
            }
        }
        lines.add(new String(in.readNBytes(length), StandardCharsets.ISO_8859_1));
        return lines;
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != '\n') {
            if (b == -1) {
                throw new IOException("closed before the end of a line: " + line.toString(StandardCharsets.ISO_8859_1));
            }
            line.write(b);
        }
        String text = line.toString(StandardCharsets.ISO_8859_1);
        return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
    }

    private static byte[] readExactly(Socket socket, int count) throws IOException {
        byte[] bytes = socket.getInputStream().readNBytes(count);
        if (bytes.length < count) {
            throw new IOException("closed after " + bytes.length + " of " + count + " bytes");
        }
        return bytes;
    }

    /**
     * A new connection from {@code source} is reset by the agent (SO_LINGER 0), not closed: the client's connect or
     * first read fails with "Connection reset" (the reset can come before the client's connect call returns).
     */
    private void assertReset(String source, String what) {
        SocketException reset = assertThrows(SocketException.class, () -> connect(source).getInputStream().read(), what + " must be reset");
        assertTrue(reset.getMessage().contains("reset"), what + ": " + reset.getMessage());
    }
}
