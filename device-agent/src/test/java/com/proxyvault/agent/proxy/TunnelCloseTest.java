package com.proxyvault.agent.proxy;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static com.proxyvault.agent.proxy.ListenerFixture.ascii;
import static com.proxyvault.agent.proxy.ListenerFixture.concat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How a CONNECT or SOCKS5 tunnel ends when the customer ends it, on real sockets. A customer's FIN may be a half-close
 * (it still wants the answer) or a full close; TCP does not tell them apart until the agent writes to it. So the FIN
 * goes on to the origin, and from then on the tunnel may stay quiet for the request-head timeout only, not the idle
 * timeout (docs/decisions.md, "Half-closed tunnels"). The listener's timeouts are short here: 1 s request head, 60 s
 * idle, so a tunnel closed within the tests' 10 s caps was closed by the half-close rule, never by the idle one.
 */
class TunnelCloseTest {

    private static final Duration HALF_CLOSED_QUIET = Duration.ofSeconds(1);
    private static final ProxySettings SETTINGS = ProxySettings.DEFAULTS.withTimeouts(HALF_CLOSED_QUIET, Duration.ofSeconds(60));
    private static final Duration CAP = Duration.ofSeconds(10);
    private static final byte[] HELLO = ascii("hello, origin");

    /** Its event loop and credentials; the tests' listener ({@link #listener}) allows only {@link #origin}. */
    @RegisterExtension
    final ListenerFixture proxy = new ListenerFixture("tunnel", "close");

    private HoldingOrigin origin;
    private ProxyListener listener;

    @BeforeEach
    void openOrigin() throws Exception {
        origin = new HoldingOrigin();
        listener = proxy.openAnother(OriginPolicy.allowing(List.of("127.0.0.1:" + origin.port())), SETTINGS);
    }

    @AfterEach
    void closeOrigin() throws IOException {
        origin.close();
    }

    @Test
    void shouldCloseTheOriginConnectionWhenAConnectCustomerClosesAndTheOriginStaysSilent() throws Exception {
        try (RawHttpClient client = new RawHttpClient(listener.port())) {
            client.send(connect());
            assertEquals(200, client.readResponse().status());
            client.sendBytes(HELLO);
        } // close(): a FIN, exactly like a half-close on the wire

        assertOriginConnectionClosedByTheAgent();
    }

    @Test
    void shouldCloseTheOriginConnectionWhenASocks5CustomerClosesAndTheOriginStaysSilent() throws Exception {
        try (Socks5Client client = new Socks5Client(listener.port())) {
            client.send(concat(proxy.socksHandshake(), socksConnect(origin.port())));
            client.readExactly(4);
            assertEquals(0x00, client.readExactly(10)[1], "REP succeeded");
            client.send(HELLO);
        }

        assertOriginConnectionClosedByTheAgent();
    }

    @Test
    void shouldCloseTheOriginConnectionWhenACustomerResetsItsTunnel() throws Exception {
        try (Socket client = new Socket("127.0.0.1", listener.port())) {
            client.setSoTimeout(15_000);
            client.getOutputStream().write(ascii(connect()));
            assertTrue(new String(client.getInputStream().readNBytes(12), StandardCharsets.US_ASCII).startsWith("HTTP/1.1 200"));
            origin.awaitAccepted();
            client.setSoLinger(true, 0); // close() sends RST
        }

        await("the agent closed both sockets of the tunnel").atMost(CAP).until(() -> listener.openConnections() == 0);
        assertTrue(origin.awaitEndOfInput(), "the origin's read ended (FIN or reset)");
    }

    @Test
    void shouldRelayAnAnswerThatKeepsComingLongerThanTheQuietLimitAfterTheCustomerHalfCloses() throws Exception {
        // 20 pieces, 100 ms apart: 2 s in all, twice the quiet limit, never 1 s without a byte.
        origin.answerAfterEndOfInput(20, Duration.ofMillis(100));
        try (RawHttpClient client = new RawHttpClient(listener.port())) {
            client.send(connect());
            assertEquals(200, client.readResponse().status());
            client.sendBytes(HELLO);
            client.shutdownOutput();

            assertArrayEquals(HoldingOrigin.answer(20), client.readBytes(HoldingOrigin.answer(20).length));
            assertEquals(-1, client.read(), "the origin closed once it had answered");
        }
    }

    private String connect() {
        return "CONNECT 127.0.0.1:" + origin.port() + " HTTP/1.1\r\n" + proxy.credentials() + "\r\n";
    }

    private static byte[] socksConnect(int port) {
        return new byte[] {0x05, 0x01, 0x00, 0x01, 127, 0, 0, 1, (byte) (port >> 8), (byte) port};
    }

    /**
     * The agent let go of both sockets of the tunnel, and the origin can tell: its read ended with the FIN the customer
     * sent, and once the agent's socket is closed (not just shut down for sending) a write of the origin is answered
     * with a reset. The origin writes only after the agent let go, since its bytes would otherwise reach the customer
     * and end the tunnel by themselves (a closed customer answers them with a reset).
     */
    private void assertOriginConnectionClosedByTheAgent() throws Exception {
        assertTrue(origin.awaitEndOfInput(), "the customer's FIN reached the origin");
        await("the agent closed both sockets of the tunnel").atMost(CAP).until(() -> listener.openConnections() == 0);
        await("the origin sees its connection closed").atMost(CAP).until(origin::writeFails);
    }

    /**
     * A raw origin on 127.0.0.1 for one connection: reads until the end of its input and then, unless told to answer,
     * holds the connection open without a word, as a server that ignores a client's FIN would.
     */
    static final class HoldingOrigin implements AutoCloseable {

        private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final CountDownLatch accepted = new CountDownLatch(1);
        private final CountDownLatch endOfInput = new CountDownLatch(1);
        private final Thread thread = new Thread(this::serve, "holding-origin");
        private volatile Socket socket;
        private volatile int answerPieces;
        private volatile Duration answerGap = Duration.ZERO;

        HoldingOrigin() throws IOException {
            thread.setDaemon(true);
            thread.start();
        }

        int port() {
            return server.getLocalPort();
        }

        /** After the end of its input, send {@code pieces} pieces of {@link #answer}, {@code gap} apart, then close. */
        void answerAfterEndOfInput(int pieces, Duration gap) {
            this.answerGap = gap;
            this.answerPieces = pieces;
        }

        /** The answer of {@code pieces} pieces: "piece 0\n", "piece 1\n", ... */
        static byte[] answer(int pieces) {
            StringBuilder all = new StringBuilder();
            for (int i = 0; i < pieces; i++) {
                all.append("piece ").append(i).append('\n');
            }
            return ascii(all.toString());
        }

        private void serve() {
            try {
                socket = server.accept();
                accepted.countDown();
                InputStream in = socket.getInputStream();
                byte[] buffer = new byte[8192];
                try {
                    while (in.read(buffer) >= 0) {
                        // what the customer sent: not interesting here
                    }
                } catch (SocketException reset) {
                    // a reset ends the input too
                }
                endOfInput.countDown();
                if (answerPieces > 0) {
                    OutputStream out = socket.getOutputStream();
                    for (int i = 0; i < answerPieces; i++) {
                        Thread.sleep(answerGap.toMillis());
                        out.write(ascii("piece " + i + "\n"));
                        out.flush();
                    }
                    socket.close();
                }
            } catch (IOException | InterruptedException ended) {
                // closed by the test
            }
        }

        void awaitAccepted() throws InterruptedException {
            assertTrue(accepted.await(CAP.toSeconds(), TimeUnit.SECONDS), "the agent connected to the origin");
        }

        boolean awaitEndOfInput() throws InterruptedException {
            return endOfInput.await(CAP.toSeconds(), TimeUnit.SECONDS);
        }

        /** Writes a byte; true once a write fails, which it does after the peer answered an earlier one with a reset. */
        boolean writeFails() {
            try {
                OutputStream out = socket.getOutputStream();
                out.write('x');
                out.flush();
                return false;
            } catch (IOException closedByPeer) {
                return true;
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
            Socket accepted = socket;
            if (accepted != null) {
                accepted.close();
            }
            thread.interrupt();
        }
    }
}
