package com.proxyvault.agent.proxy;

import com.proxyvault.platform.net.HttpFraming;

import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which request framings and HTTP versions the HTTP proxy reads, and what it answers to the others
 * (docs/device-agent.md, "Request framing"; RFC 9112 sections 2.3, 6.1, 6.3 and 7; RFC 9110 section 15.6.6). On real
 * sockets through an authenticated listener: each refused request gets one plain-text answer, then the connection
 * closes, and nothing it carried reaches the origin, least of all a request hidden in its body.
 */
class RequestFramingTest {

    private static final String CHUNKED_BODY = "5\r\nhello\r\n0\r\n\r\n";

    @RegisterExtension
    final ListenerFixture proxy = new ListenerFixture("framing", "pw-framing");
    /** The fixture's HTTP origin. */
    private TestOrigin origin;

    @BeforeEach
    void shortNames() {
        origin = proxy.web();
    }

    /**
     * RFC 9112 section 6.3 item 4: with a Transfer-Encoding whose last coding is not chunked nothing says where the
     * body ends, so 400 and close, and section 6.1: chunked is applied once at most. Found: Netty's codec reads such a
     * body as empty, so with {@code Transfer-Encoding: gzip} the agent forwarded the POST and then, as the customer's
     * next request, the GET in its body.
     */
    @Test
    void shouldRefuseATransferEncodingThatDoesNotEndInChunkedAndForwardNothingFromItsBody() throws IOException {
        String mustEndWithChunked = "Transfer-Encoding must end with chunked: without it the body's end is unknown";
        String[][] cases = {
                {"Transfer-Encoding: gzip\r\n", mustEndWithChunked},
                {"Transfer-Encoding:\r\n", mustEndWithChunked},
                {"Transfer-Encoding: identity\r\nContent-Length: 0\r\n", mustEndWithChunked},
                // the codec decodes this one as chunked: "chunked" is somewhere in the list
                {"Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n", mustEndWithChunked},
                {"Transfer-Encoding: chunked, chunked\r\n", "Transfer-Encoding must name chunked only once"},
                {"Transfer-Encoding: chunked\r\nTransfer-Encoding: CHUNKED\r\n", "Transfer-Encoding must name chunked only once"},
                // refused by the codec itself (a last line that names chunked but ends otherwise), answered as before
                {"Transfer-Encoding: chunked, gzip\r\n", "Malformed request"}};
        for (String[] framing : cases) {
            assertOnlyAnswerToAPost(framing[0], "HTTP/1.1 400 Bad Request", framing[1]);
        }
        assertEquals(List.of(), origin.received(), "nothing was forwarded, the request in the body least of all");

        // a CONNECT too: no tunnel is opened behind a head whose framing is refused
        RawHttpClient.Response connect = onlyAnswerThenClose("CONNECT 127.0.0.1:" + proxy.echo().port() + " HTTP/1.1\r\n"
                + proxy.credentials() + "Transfer-Encoding: gzip\r\n\r\n" + smuggledRequest());
        assertEquals(400, connect.status());
        assertEquals(0, proxy.echo().accepted());
    }

    /**
     * RFC 9112 section 6.1 and RFC 9110 section 15.6.2: a transfer coding the agent does not decode is 501 naming it,
     * whichever line it came on, then close. Found: {@code gzip, chunked} was de-chunked and forwarded still saying
     * {@code Transfer-Encoding: gzip, chunked}, beside a {@code Content-Length} (the origin answered 400).
     */
    @Test
    void shouldAnswer501ToATransferCodingItDoesNotDecodeAndClose() throws IOException {
        String[][] cases = {
                {"Transfer-Encoding: gzip, chunked\r\n", "gzip"},
                {"Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n", "gzip"},
                {"Transfer-Encoding: ,deflate ,, x-custom, Chunked\r\n", "deflate, x-custom"}};
        for (String[] framing : cases) {
            assertOnlyAnswerToAPost(framing[0], "HTTP/1.1 501 Not Implemented", "Transfer-Encoding " + framing[1]
                    + " is not supported: send the body with chunked alone, or with Content-Length");
        }
        assertEquals(List.of(), origin.received());
    }

    /**
     * RFC 9112 section 6.3 item 3: an intermediary decodes the transfer coding and forwards the body with a
     * Content-Length of its own, never both. Found: {@code , chunked} (an empty element first, which the codec reads
     * as chunked) reached the origin with its Transfer-Encoding beside the new Content-Length.
     */
    @Test
    void shouldForwardAChunkedBodyWithContentLengthAndNoTransferEncoding() throws IOException {
        try (RawHttpClient client = new RawHttpClient(proxy.port())) {
            for (String framing : new String[] {"Transfer-Encoding: chunked\r\n", "Transfer-Encoding: , chunked\r\n"}) {
                RawHttpClient.Response answer = client.send("POST http://" + origin.authority() + "/echo HTTP/1.1\r\n"
                        + proxy.credentials() + framing + "\r\n" + CHUNKED_BODY).readResponse();

                assertEquals(200, answer.status(), framing);
                assertEquals("hello", answer.body(), framing);
                TestOrigin.ReceivedRequest atOrigin = origin.received().get(origin.received().size() - 1);
                assertNull(atOrigin.headers().getFirst("Transfer-Encoding"), framing);
                assertEquals("5", atOrigin.headers().getFirst("Content-Length"), framing);
            }
        }
    }

    /**
     * RFC 9112 section 6.1: Transfer-Encoding in an HTTP/1.0 request is faulty framing (400 in HTTP/1.0, then close),
     * and section 6.3 item 3 lets a server refuse Content-Length beside it. The codec refuses both; the answer now
     * says why instead of "Malformed request".
     */
    @Test
    void shouldRefuseTransferEncodingInHttp10AndContentLengthBesideItSayingWhy() throws IOException {
        RawHttpClient.Response answer = onlyAnswerThenClose("POST http://" + origin.authority() + "/x HTTP/1.0\r\n"
                + proxy.credentials() + "Transfer-Encoding: chunked\r\n\r\n" + CHUNKED_BODY + smuggledRequest());
        assertEquals("HTTP/1.0 400 Bad Request", answer.statusLine());
        assertEquals("Transfer-Encoding is not allowed in an HTTP/1.0 request\n", answer.body());

        answer = onlyAnswerThenClose("POST http://" + origin.authority() + "/x HTTP/1.1\r\n" + proxy.credentials()
                + "Content-Length: 15\r\nTransfer-Encoding: chunked\r\n\r\n" + CHUNKED_BODY + smuggledRequest());
        assertEquals("HTTP/1.1 400 Bad Request", answer.statusLine());
        assertEquals("Content-Length must not be sent beside Transfer-Encoding\n", answer.body());
        assertEquals(List.of(), origin.received());
    }

    /**
     * RFC 9110 section 9.3.6: a CONNECT request has no content, so framing fields that give it some contradict the
     * method: 400, then close, no tunnel. Found by a new user: with {@code Content-Length: 5} the codec ate five bytes
     * as a body and dropped them, and the request behind them went through the tunnel.
     */
    @Test
    void shouldRefuseAConnectWhoseFramingGivesItContentAndOpenNoTunnel() throws IOException {
        String[][] cases = {
                {"Content-Length: 5\r\n\r\nXXXXX", "A CONNECT request has no content: Content-Length must be 0 or absent"},
                {"Transfer-Encoding: chunked\r\n\r\n5\r\nXXXXX\r\n0\r\n\r\n", "A CONNECT request has no content: Transfer-Encoding is not allowed"},
                // the 400 of a method without content, not the 501 of a coding
                {"Transfer-Encoding: gzip, chunked\r\n\r\n", "A CONNECT request has no content: Transfer-Encoding is not allowed"}};
        for (String[] framing : cases) {
            RawHttpClient.Response answer = onlyAnswerThenClose("CONNECT 127.0.0.1:" + proxy.echo().port() + " HTTP/1.1\r\n"
                    + proxy.credentials() + framing[0] + smuggledRequest());

            assertEquals("HTTP/1.1 400 Bad Request", answer.statusLine(), framing[0]);
            assertEquals(framing[1] + "\n", answer.body(), framing[0]);
            assertEquals("close", answer.header("Connection"), framing[0]);
        }
        assertEquals(0, proxy.echo().accepted(), "no tunnel was opened");
        assertEquals(List.of(), origin.received());
    }

    /**
     * {@code Content-Length: 0} on a CONNECT says what the method does (no content), so the agent and any reader in
     * front agree on where the tunnel starts: accepted, and the first tunnel bytes right behind the head are relayed.
     */
    @Test
    void shouldTunnelAConnectWithContentLengthZero() throws IOException {
        try (RawHttpClient client = new RawHttpClient(proxy.port())) {
            client.send("CONNECT 127.0.0.1:" + proxy.echo().port() + " HTTP/1.1\r\n" + proxy.credentials()
                    + "Content-Length: 0\r\n\r\nping");

            assertEquals("HTTP/1.1 200 Connection Established\r\n\r\n", client.readHead());
            assertEquals("ping", new String(client.readBytes(4), java.nio.charset.StandardCharsets.ISO_8859_1));
        }
    }

    /**
     * RFC 9110 section 15.6.6 and RFC 9112 section 2.3: any version but HTTP/1.0 and HTTP/1.1 is 505, answered in
     * HTTP/1.1, then close; the api-gateway answers the same (docs/api.md "Request framing"). Found: {@code HTTP/1.2}
     * and {@code http/1.1} were served as HTTP/1.1; only other major versions were refused.
     */
    @Test
    void shouldAnswerAnyOtherHttpVersionWith505InHttp11AndClose() throws IOException {
        for (String version : new String[] {"HTTP/1.2", "HTTP/2.0", "HTTP/3.0", "HTTP/0.9"}) {
            RawHttpClient.Response answer = onlyAnswerThenClose("GET http://" + origin.authority() + "/x " + version + "\r\n"
                    + proxy.credentials() + "\r\n" + smuggledRequest());

            assertEquals("HTTP/1.1 505 HTTP Version Not Supported", answer.statusLine(), version);
            assertEquals("Only HTTP/1.0 and HTTP/1.1 are served\n", answer.body(), version);
            assertEquals("close", answer.header("Connection"), version);
        }
        assertEquals(505, onlyAnswerThenClose("CONNECT 127.0.0.1:" + proxy.echo().port() + " HTTP/1.2\r\n" + proxy.credentials()
                + "\r\n").status());
        // the version names the syntax of the rest of the head, so it is judged first: 505, not 400
        assertEquals(505, onlyAnswerThenClose("POST http://" + origin.authority() + "/x HTTP/2.0\r\n" + proxy.credentials()
                + "Transfer-Encoding: gzip\r\n\r\n").status());
        // RFC 9112 section 2.3: "HTTP" is case-sensitive and each number one digit, so these name no version at all
        // (HTTP/01.1 the codec refuses itself, answered as any request it cannot parse is, in HTTP/1.0)
        for (String[] version : new String[][] {{"http/1.1", HttpFraming.MISSPELLED_VERSION}, {"HTTP/01.1", "Malformed request"}}) {
            RawHttpClient.Response answer = onlyAnswerThenClose("GET http://" + origin.authority() + "/x " + version[0] + "\r\n"
                    + proxy.credentials() + "\r\n");
            assertEquals(400, answer.status(), version[0]);
            assertEquals(version[1] + "\n", answer.body(), version[0]);
        }
        assertEquals(List.of(), origin.received());
        assertEquals(0, proxy.echo().accepted());

        // the two versions served are served as before
        try (RawHttpClient client = new RawHttpClient(proxy.port())) {
            assertEquals(200, client.send("GET http://" + origin.authority() + "/x HTTP/1.0\r\n"
                    + proxy.credentials() + "Connection: keep-alive\r\n\r\n").readResponse().status());
            assertEquals(200, client.send("GET http://" + origin.authority() + "/x HTTP/1.1\r\n"
                    + proxy.credentials() + "\r\n").readResponse().status());
        }
    }

    /**
     * POSTs with the {@code framing} header lines, a chunked body and a whole proxied request behind it, and expects
     * {@code statusLine} with {@code message} as the only answer, {@code Connection: close}, then the close.
     */
    private void assertOnlyAnswerToAPost(String framing, String statusLine, String message) throws IOException {
        RawHttpClient.Response answer = onlyAnswerThenClose("POST http://" + origin.authority() + "/echo HTTP/1.1\r\n"
                + proxy.credentials() + framing + "\r\n" + CHUNKED_BODY + smuggledRequest());
        assertEquals(statusLine, answer.statusLine(), framing);
        assertEquals(message + "\n", answer.body(), framing);
        assertEquals("close", answer.header("Connection"), framing);
    }

    /** A whole proxied request with the listener's credentials, the kind a smuggled body would carry. */
    private String smuggledRequest() {
        return "GET http://" + origin.authority() + "/smuggled HTTP/1.1\r\n" + proxy.credentials() + "\r\n";
    }

    /**
     * Sends {@code request} on a fresh connection and reads one answer, which must be the last thing the agent sends
     * before it closes: a second answer, or a connection left open, fails the test.
     */
    private RawHttpClient.Response onlyAnswerThenClose(String request) throws IOException {
        try (RawHttpClient client = new RawHttpClient(proxy.port())) {
            RawHttpClient.Response answer = client.send(request).readResponse();
            int next;
            try {
                next = client.read();
            } catch (SocketTimeoutException open) {
                throw new AssertionError("the connection was left open after: " + answer, open);
            } catch (SocketException reset) {
                next = -1; // a reset is a close too
            }
            assertTrue(next == -1, "nothing after the answer, then close; after " + answer + " came: " + (char) next);
            return answer;
        }
    }
}
