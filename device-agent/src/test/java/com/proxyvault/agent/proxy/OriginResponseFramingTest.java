package com.proxyvault.agent.proxy;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How the HTTP proxy relays an origin's response whose framing is unusual or wrong (docs/device-agent.md, "Responses
 * from the origin"; RFC 9112 sections 6.1, 6.3, 7 and 9.6, RFC 9110 sections 2.5 and 7.6.1). On real sockets: a
 * {@link ScriptedOrigin} writes exact bytes, a raw client sends absolute-form requests through an authenticated
 * listener and checks the exact bytes it gets back. What must never happen: a message the client could read two ways
 * (both Content-Length and Transfer-Encoding, chunked to an HTTP/1.0 client, a body without framing on a kept-alive
 * connection), bytes of one response taken for the next, a truncated body presented as whole, or a hang (every read
 * of the client has a 15 s socket timeout). After each answer that keeps the connection, a next request proves it is
 * still in step.
 */
class OriginResponseFramingTest {

    private static final String NEXT_ANSWER = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext";

    @RegisterExtension
    final ListenerFixture proxy = new ListenerFixture("relay", "pw-relay");
    private ScriptedOrigin origin;
    /** A listener of the fixture's that may reach {@link #origin}. */
    private int port;

    @BeforeEach
    void startOrigin() throws Exception {
        origin = new ScriptedOrigin();
        port = proxy.openAnother(OriginPolicy.allowing(List.of(origin.authority())), ListenerFixture.DEFAULT_SETTINGS).port();
    }

    @AfterEach
    void stopOrigin() throws IOException {
        origin.close();
    }

    // ---- Transfer-Encoding ----------------------------------------------------------------------

    /** RFC 9112 section 6.1: a proxy may pass on a coding it does not decode; chunked stays last, the body re-chunked. */
    @Test
    void shouldRelayAnotherCodingBeforeChunkedToAnHttp11ClientAndKeepTheConnection() throws IOException {
        origin.answer("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", false);
        try (RawHttpClient client = client()) {
            client.send(request("GET", "/gzip-chunked", "HTTP/1.1", ""));

            assertEquals("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", client.readHead());
            assertEquals("hello", client.readChunkedBody());
            assertStillServes(client);
        }
    }

    /**
     * RFC 9112 section 6.3 item 4: without a final chunked a response's body ends when the connection does, so the
     * client's connection closes after it; the coding goes on as it came.
     */
    @Test
    void shouldRelayATransferCodingWithoutChunkedUntilTheOriginClosesAndThenClose() throws IOException {
        origin.answer("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nbytes in gzip until close", true);
        try (RawHttpClient client = client()) {
            client.send(request("GET", "/gzip", "HTTP/1.1", ""));

            assertEquals("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nconnection: close\r\n\r\n", client.readHead());
            assertEquals("bytes in gzip until close", client.readToEnd());
        }
    }

    /** RFC 9112 section 6.3 item 3: "ought to be handled as an error"; Netty's decoder refuses it, so does the agent. */
    @Test
    void shouldAnswer502ToContentLengthBesideTransferEncodingAndKeepTheConnection() throws IOException {
        String[] answers = {
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
                "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
                // Netty's decoder reads this one by its Content-Length: a client would wait for the close
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nContent-Length: 2\r\n\r\nhello"};
        try (RawHttpClient client = client()) {
            for (String answer : answers) {
                origin.answer(answer, false);
                client.send(request("GET", "/both", "HTTP/1.1", ""));

                assertBadGateway(client, "Bad response from the origin: Content-Length beside Transfer-Encoding", answer);
            }
            assertStillServes(client);
        }
    }

    /**
     * RFC 9112 section 6.1: chunked is applied once at most, and last. Netty's decoder decodes a repeated chunked once
     * and would pass the field on; chunked before another coding it refuses itself.
     */
    @Test
    void shouldAnswer502ToChunkedNamedTwiceOrBeforeAnotherCoding() throws IOException {
        String[][] answers = {
                {"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", "Transfer-Encoding names chunked more than once"},
                {"Transfer-Encoding: chunked, gzip\r\n", "chunked before another Transfer-Encoding coding"}};
        try (RawHttpClient client = client()) {
            for (String[] answer : answers) {
                origin.answer("HTTP/1.1 200 OK\r\n" + answer[0] + "\r\n5\r\nhello\r\n0\r\n\r\n", false);
                client.send(request("GET", "/twice", "HTTP/1.1", ""));

                assertBadGateway(client, "Bad response from the origin: " + answer[1], answer[0]);
            }
            // two lines that end in chunked once are one list (RFC 9110 5.3), relayed as they came
            origin.answer("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", false);
            client.send(request("GET", "/two-lines", "HTTP/1.1", ""));
            assertEquals("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", client.readHead());
            assertEquals("hello", client.readChunkedBody());
            assertStillServes(client);
        }
    }

    /** RFC 9112 section 6.1: Transfer-Encoding in an HTTP/1.0 message is faulty framing (Netty's decoder refuses it). */
    @Test
    void shouldAnswer502ToTransferEncodingInAnHttp10Response() throws IOException {
        origin.answer("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", false);
        try (RawHttpClient client = client()) {
            client.send(request("GET", "/old", "HTTP/1.1", ""));

            assertBadGateway(client, "Bad response from the origin: Transfer-Encoding in an HTTP/1.0 response", "");
            assertStillServes(client);
        }
    }

    // ---- HTTP/1.0 clients -----------------------------------------------------------------------

    /**
     * RFC 9112 section 6.1 and 7: HTTP/1.0 has no transfer codings, so a chunked body goes to a 1.0 client decoded and
     * delimited by the close (trailers dropped), whatever keep-alive it asked for.
     */
    @Test
    void shouldDecodeAChunkedBodyForAnHttp10ClientAndCloseAfterIt() throws IOException {
        origin.answer("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n", false);
        try (RawHttpClient client = client()) {
            client.send(request("GET", "/chunked", "HTTP/1.0", "Connection: keep-alive\r\n"));

            assertEquals("HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n", client.readHead());
            assertEquals("hello world", client.readToEnd());
        }
    }

    /** A coding the agent does not decode cannot reach a client that knows no transfer codings. */
    @Test
    void shouldAnswer502ToAnHttp10ClientForACodingItCannotRead() throws IOException {
        String[][] answers = {
                {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", "gzip, chunked"},
                {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nhello", "gzip"}};
        try (RawHttpClient client = client()) {
            for (String[] answer : answers) {
                origin.answer(answer[0], answer[1].equals("gzip"));
                client.send(request("GET", "/coded", "HTTP/1.0", "Connection: keep-alive\r\n"));

                RawHttpClient.Response response = client.readResponse();
                assertEquals("HTTP/1.0 502 Bad Gateway", response.statusLine());
                assertEquals("The origin answered with Transfer-Encoding " + answer[1] + ", which an HTTP/1.0 client cannot read\n",
                        response.body());
                assertEquals("keep-alive", response.header("Connection"));
            }
        }
    }

    // ---- Content-Length -------------------------------------------------------------------------

    /** RFC 9112 section 6.3 item 5: a proxy closes the origin connection and answers 502. */
    @Test
    void shouldAnswer502ToAnInvalidOrRepeatedContentLengthAndKeepTheConnection() throws IOException {
        String[][] answers = {
                {"Content-Length: 5\r\nContent-Length: 6\r\n", "more than one Content-Length"},
                // RFC 9110 section 8.6 lets a recipient accept repeated equal values; the agent, like Netty and nginx, does not
                {"Content-Length: 5\r\nContent-Length: 5\r\n", "more than one Content-Length"},
                {"Content-Length: 5, 5\r\n", "more than one Content-Length"},
                {"Content-Length: five\r\n", "invalid Content-Length"},
                {"Content-Length: -5\r\n", "invalid Content-Length"}};
        try (RawHttpClient client = client()) {
            for (String[] answer : answers) {
                origin.answer("HTTP/1.1 200 OK\r\n" + answer[0] + "\r\nhello!", false);
                client.send(request("GET", "/length", "HTTP/1.1", ""));

                assertBadGateway(client, "Bad response from the origin: " + answer[1], answer[0]);
            }
            assertStillServes(client);
        }
    }

    /** RFC 9112 section 6.3 item 8: read until the origin closes; the client's connection has to close too. */
    @Test
    void shouldRelayABodyWithoutFramingUntilTheOriginClosesAndThenClose() throws IOException {
        origin.answer("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the origin closes", true);
        try (RawHttpClient client = client()) {
            client.send(request("GET", "/unframed", "HTTP/1.1", ""));

            assertEquals("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nconnection: close\r\n\r\n", client.readHead());
            assertEquals("until the origin closes", client.readToEnd());
        }
    }

    /** The origin connection serves one request: what follows a whole response is never relayed. */
    @Test
    void shouldNeverRelayBytesAfterAWholeResponse() throws IOException {
        origin.answer("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nsmuggled", false);
        try (RawHttpClient client = client()) {
            client.send(request("GET", "/extra", "HTTP/1.1", ""));

            assertEquals("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", client.readHead());
            assertEquals("hello", new String(client.readBytes(5), StandardCharsets.ISO_8859_1));
            assertStillServes(client);
        }
    }

    // ---- responses without a body ---------------------------------------------------------------

    /**
     * RFC 9112 section 6.3 items 1 and 2: a response to HEAD, a 204 and a 304 end at their empty line whatever their
     * framing fields say; body bytes an origin sends anyway are never relayed.
     */
    @Test
    void shouldEndHeadAnd204And304ResponsesAtTheirHeadWhateverTheirFramingSays() throws IOException {
        try (RawHttpClient client = client()) {
            origin.answer("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", false);
            client.send(request("HEAD", "/head-chunked", "HTTP/1.1", ""));
            // Netty's decoder drops chunked from a response that has no body
            assertEquals("HTTP/1.1 200 OK\r\n\r\n", client.readHead());

            origin.answer("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world", false);
            client.send(request("HEAD", "/head-length", "HTTP/1.1", ""));
            assertEquals("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n", client.readHead(), "the GET's length, no body");

            origin.answer("HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\nhello", false);
            client.send(request("GET", "/no-content", "HTTP/1.1", ""));
            assertEquals("HTTP/1.1 204 No Content\r\n\r\n", client.readHead(), "RFC 9110 8.6: no Content-Length in a 204");

            origin.answer("HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\nhello", false);
            client.send(request("GET", "/not-modified", "HTTP/1.1", ""));
            assertEquals("HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n", client.readHead(), "the selected representation's length");

            assertStillServes(client);
        }
    }

    // ---- invalid chunks -------------------------------------------------------------------------

    /**
     * Once the head is relayed no 502 can follow: the client's connection is closed without the last chunk, so the
     * client sees an incomplete message (RFC 9112 section 8), never a truncated body ending like a whole one.
     */
    @Test
    void shouldCloseTheClientConnectionWithoutTheLastChunkWhenAChunkIsInvalid() throws IOException {
        String[][] answers = {
                {"5\r\nhello\r\nzz\r\nmore\r\n0\r\n\r\n", "hello"},
                {"zz\r\nhello\r\n0\r\n\r\n", ""},
                {"5\r\nhelloXX0\r\n\r\n", "hello"}}; // no CRLF after the chunk's data
        for (String[] answer : answers) {
            origin.answer("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + answer[0], false);
            try (RawHttpClient client = client()) {
                client.send(request("GET", "/bad-chunk", "HTTP/1.1", ""));

                assertEquals("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", client.readHead());
                String rest = client.readToEnd();
                assertEquals(answer[1], chunkContent(rest), rest);
                assertFalse(rest.endsWith("0\r\n\r\n"), "no last chunk: " + rest);
            }
        }
    }

    /**
     * RFC 9112 section 8: for an HTTP/1.0 client the decoded body is delimited by the close, so a close would say the
     * body is whole; an origin message that ends early (an invalid chunk, the origin's close before the last chunk)
     * must reach it as a TCP reset. Found by a new user: {@code curl -0} exited 0 after {@code hello}.
     */
    @Test
    void shouldResetAnHttp10ClientsConnectionWhenTheChunkedBodyEndsEarly() throws IOException {
        String[][] answers = {
                {"5\r\nhello\r\nzz\r\nworld\r\n0\r\n\r\n", "held open"}, // an invalid chunk size
                {"5\r\nhello\r\n", "close"}}; // the origin's close before the last chunk
        for (String[] answer : answers) {
            origin.answer("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + answer[0], answer[1].equals("close"));
            try (RawHttpClient client = client()) {
                client.send(request("GET", "/cut", "HTTP/1.0", ""));

                ReadToEnd read = readToEndOrReset(client);
                assertTrue(read.reset(), answer[1] + ": a reset, not a close that ends the body; got " + read.bytes());
                // what came before the reset (all of it on loopback) is the head and the chunk before the break
                assertTrue("HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nhello".startsWith(read.bytes()), read.bytes());
            }
        }
    }

    /**
     * A head that frames the body lets the client see an early end by itself: the origin's close before the
     * {@code Content-Length}th byte (or the last chunk) reaches it as a close after the bytes that came, never padded,
     * never followed by a next response; for an HTTP/1.0 client the length goes out too, so a close says enough.
     */
    @Test
    void shouldCloseWithoutTheRestWhenTheOriginClosesBeforeAFramedBodyEnds() throws IOException {
        String[][] cases = {
                {"HTTP/1.1", "Content-Length: 10\r\n\r\nhello", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", "hello"},
                {"HTTP/1.0", "Content-Length: 10\r\n\r\nhello", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\nconnection: keep-alive\r\n\r\n", "hello"},
                {"HTTP/1.1", "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "5\r\nhello\r\n"}};
        for (String[] framing : cases) {
            origin.answer("HTTP/1.1 200 OK\r\n" + framing[1], true);
            try (RawHttpClient client = client()) {
                // keep-alive asked for: the connection must still end, its next request is never served
                client.send(request("GET", "/short", framing[0], framing[0].equals("HTTP/1.1") ? "" : "Connection: keep-alive\r\n"));

                assertEquals(framing[2], client.readHead(), framing[1]);
                ReadToEnd rest = readToEndOrReset(client);
                assertEquals(framing[3], rest.bytes(), framing[1]);
            }
        }
    }

    // ---- versions and heads ---------------------------------------------------------------------

    /** RFC 9110 section 2.5: an intermediary sends its own version; an HTTP/1.0 origin's length keeps the connection. */
    @Test
    void shouldRelayAnHttp10ResponseInHttp11() throws IOException {
        origin.answer("HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello", true);
        try (RawHttpClient client = client()) {
            client.send(request("GET", "/one-oh", "HTTP/1.1", ""));

            assertEquals("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", client.readHead());
            assertEquals("hello", new String(client.readBytes(5), StandardCharsets.ISO_8859_1));
            assertStillServes(client);
        }
    }

    @Test
    void shouldAnswer502ToAResponseThatIsNotHttp1OrNotParsable() throws IOException {
        String[][] answers = {
                {"HTTP/2.0 200 OK\r\nContent-Length: 5\r\n\r\nhello", "HTTP/2.0 is not HTTP/1.x"},
                {"HTTP/1.1 abc OK\r\nContent-Length: 5\r\n\r\nhello", "malformed status line or header"},
                {"HTTP/1.1 200 OK\r\nX-Long: " + "x".repeat(9000) + "\r\n\r\n", "head larger than the agent reads"}};
        try (RawHttpClient client = client()) {
            for (String[] answer : answers) {
                origin.answer(answer[0], false);
                client.send(request("GET", "/odd", "HTTP/1.1", ""));

                assertBadGateway(client, "Bad response from the origin: " + answer[1], answer[0].substring(0, 20));
            }
            assertStillServes(client);
        }
    }

    /**
     * RFC 9112 section 4: {@code status-code = 3DIGIT}, RFC 9110 section 15: 100 to 599; RFC 9112 section 4's reason
     * phrase has no control characters but HTAB. Found by a new user: {@code 20}, {@code 2000} and {@code 600} were
     * relayed as they came, {@code 099} as {@code 99}, a NUL in the reason phrase went on to the client.
     */
    @Test
    void shouldAnswer502ToAStatusCodeOutside100To599OrAControlCharacterInTheReasonPhrase() throws IOException {
        String[][] answers = {
                {"HTTP/1.1 20 OK", "status code 20 is not three digits from 100 to 599"},
                {"HTTP/1.1 2000 OK", "status code 2000 is not three digits from 100 to 599"},
                {"HTTP/1.1 600 X", "status code 600 is not three digits from 100 to 599"},
                {"HTTP/1.1 099 X", "status code 99 is not three digits from 100 to 599"},
                {"HTTP/1.1 200 O\0K", "control character in the reason phrase"},
                {"HTTP/1.1 200 O\u001bK", "control character in the reason phrase"},
                {"HTTP/1.1 200 O\u007fK", "control character in the reason phrase"}};
        try (RawHttpClient client = client()) {
            for (String[] answer : answers) {
                origin.answer(answer[0] + "\r\nContent-Length: 5\r\n\r\nhello", false);
                client.send(request("GET", "/status", "HTTP/1.1", ""));

                assertBadGateway(client, "Bad response from the origin: " + answer[1], answer[0]);
            }
            // HTAB, obs-text and an empty reason phrase are allowed, and the ends of the range relayed
            origin.answer("HTTP/1.1 599 A\tB\u00e9\r\nContent-Length: 2\r\n\r\nok", false);
            client.send(request("GET", "/tab", "HTTP/1.1", ""));
            assertEquals("HTTP/1.1 599 A\tB\u00e9\r\nContent-Length: 2\r\n\r\n", client.readHead());
            assertEquals("ok", new String(client.readBytes(2), StandardCharsets.ISO_8859_1));
            assertStillServes(client);
        }
    }

    /**
     * RFC 9110 section 15.2.2: a server must not switch to a protocol the client did not ask for, and the agent
     * forwards no {@code Upgrade} (hop-by-hop). Found by a new user: a 101 was taken for an interim response and the
     * client waited until the origin closed (here held open: without the 502 the client's read times out).
     */
    @Test
    void shouldAnswer502AtOnceToA101ItNeverAskedFor() throws IOException {
        String[] answers = {
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
                "HTTP/1.1 101 Switching Protocols\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"};
        try (RawHttpClient client = client()) {
            for (String answer : answers) {
                origin.answer(answer, false);
                client.send(request("GET", "/switch", "HTTP/1.1", ""));

                assertBadGateway(client, "Bad response from the origin: 101 Switching Protocols, but the agent asked for no upgrade", answer);
            }
            assertStillServes(client);
        }
    }

    // ---- Connection options ---------------------------------------------------------------------

    /**
     * RFC 9110 section 7.6.1: the fields a response's Connection names go no further, except the framing fields: the
     * agent frames the message it forwards itself. Found: {@code Connection: Content-Length} removed the length of a
     * kept-alive response, whose client then waited for a close that never came.
     */
    @Test
    void shouldRemoveTheFieldsConnectionNamesButNeverTheFraming() throws IOException {
        try (RawHttpClient client = client()) {
            origin.answer("HTTP/1.1 200 OK\r\nConnection: X-Hop, Content-Length\r\nX-Hop: secret\r\nKeep-Alive: timeout=5\r\n"
                    + "X-Kept: yes\r\nContent-Length: 5\r\n\r\nhello", false);
            client.send(request("GET", "/hop", "HTTP/1.1", ""));
            assertEquals("HTTP/1.1 200 OK\r\nX-Kept: yes\r\nContent-Length: 5\r\n\r\n", client.readHead());
            assertEquals("hello", new String(client.readBytes(5), StandardCharsets.ISO_8859_1));

            origin.answer("HTTP/1.1 200 OK\r\nConnection: transfer-encoding\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", false);
            client.send(request("GET", "/hop-chunked", "HTTP/1.1", ""));
            assertEquals("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", client.readHead());
            assertEquals("hello", client.readChunkedBody());

            assertStillServes(client);
        }
    }

    /** The same on the way to the origin: a request's Connection naming Content-Length must not cost its body its length. */
    @Test
    void shouldKeepARequestBodysLengthWhenConnectionNamesContentLength() throws IOException {
        origin.answer("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false);
        try (RawHttpClient client = client()) {
            client.send(request("POST", "/upload", "HTTP/1.1", "Connection: content-length\r\nContent-Length: 5\r\n") + "hello");

            assertEquals("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n", client.readHead());
            client.readBytes(2);
        }
        String forwarded = origin.requestHeads().get(0);
        assertTrue(forwarded.toLowerCase(java.util.Locale.ROOT).contains("content-length: 5\r\n"), forwarded);
    }

    // ---- plumbing -------------------------------------------------------------------------------

    private RawHttpClient client() throws IOException {
        return new RawHttpClient(port);
    }

    /** An absolute-form request to the scripted origin with the fixture's credentials and {@code extraHeaders} (each with its CRLF). */
    private String request(String method, String path, String version, String extraHeaders) {
        return method + " http://" + origin.authority() + path + " " + version + "\r\n" + proxy.credentials() + extraHeaders + "\r\n";
    }

    private static void assertBadGateway(RawHttpClient client, String message, String what) throws IOException {
        RawHttpClient.Response response = client.readResponse();
        assertEquals("HTTP/1.1 502 Bad Gateway", response.statusLine(), what);
        assertEquals(message + "\n", response.body(), what);
        assertEquals("text/plain; charset=utf-8", response.header("Content-Type"), what);
    }

    /** The connection is still in step: the next request gets exactly its own answer. */
    private void assertStillServes(RawHttpClient client) throws IOException {
        origin.answer(NEXT_ANSWER, false);
        client.send(request("GET", "/next", "HTTP/1.1", ""));
        assertEquals("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n", client.readHead());
        assertEquals("next", new String(client.readBytes(4), StandardCharsets.ISO_8859_1));
    }

    /** Every byte the client reads until the connection ends, and whether it ended with a reset rather than a close. */
    private record ReadToEnd(String bytes, boolean reset) {
    }

    /**
     * Reads until the agent closes ({@code -1}) or resets the connection (Java's "Connection reset"); the socket
     * timeout fails an agent that does neither.
     */
    private static ReadToEnd readToEndOrReset(RawHttpClient client) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            int b;
            while ((b = client.read()) != -1) {
                bytes.write(b);
            }
            return new ReadToEnd(bytes.toString(StandardCharsets.ISO_8859_1), false);
        } catch (SocketException reset) {
            assertEquals("Connection reset", reset.getMessage());
            return new ReadToEnd(bytes.toString(StandardCharsets.ISO_8859_1), true);
        }
    }

    /** The content of chunked bytes up to where they end, whether or not a last chunk ends them. */
    private static String chunkContent(String chunked) {
        StringBuilder content = new StringBuilder();
        int at = 0;
        while (at < chunked.length()) {
            int lineEnd = chunked.indexOf("\r\n", at);
            int size = Integer.parseInt(chunked.substring(at, lineEnd), 16);
            if (size == 0) {
                break;
            }
            content.append(chunked, lineEnd + 2, lineEnd + 2 + size);
            at = lineEnd + 2 + size + 2;
        }
        return content.toString();
    }
}
