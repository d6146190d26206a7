package com.proxyvault.agent.proxy;

import com.proxyvault.agent.proxy.ScriptedOrigin.Ending;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import static com.proxyvault.agent.proxy.ListenerFixture.ascii;
import static com.proxyvault.agent.proxy.ListenerFixture.concat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An origin that answers a request with a body before it has read the body (RFC 9110 section 10.1.1, RFC 9112 section
 * 9.5: nginx's 413 for a body too large, a 401 before an upload, a WAF's block, Python's {@code http.server} 501 to a
 * POST), on real sockets (docs/device-agent.md "Responses from the origin", "An early answer"). The customer's request
 * carries a 4 MiB body, more than loopback's socket buffers hold while the origin reads nothing, so the agent is still
 * writing it when the origin closes; a close with the body unread makes the origin's kernel send a reset, which fails
 * the agent's write. The customer must get the origin's answer as it came, not a 502, and a 502 only when no response
 * head came at all. Its connection stays as it asked (the agent read its whole request before forwarding it), which a
 * next request on it proves. Every read of the client has a 15 s socket timeout, so a hang fails.
 */
class EarlyOriginAnswerTest {

    /** Past loopback's socket buffers (tcp_wmem and tcp_rmem defaults are 16 KiB and 128 KiB), under the 16 MiB limit. */
    private static final byte[] LARGE_BODY = body(4 * 1024 * 1024);
    private static final String NEXT_ANSWER = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext";

    @RegisterExtension
    final ListenerFixture proxy = new ListenerFixture("early", "answer");
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

    /**
     * The repro of the review (M3): the origin answers at once and closes with the body unread, which resets the
     * connection under the agent's write. Before, the failed write closed the origin connection and the answer already
     * in its socket was thrown away: 502 "The origin closed the connection without a response".
     */
    @Test
    void shouldRelayTheAnswerOfAnOriginThatClosesWithoutReadingTheBody() throws IOException {
        origin.answer("HTTP/1.1 413 Content Too Large\r\nContent-Type: text/plain\r\nContent-Length: 14\r\nConnection: close\r\n\r\n"
                + "body too large", Ending.CLOSE);
        try (RawHttpClient client = client()) {
            client.sendBytes(upload("/upload", LARGE_BODY));

            assertEquals("HTTP/1.1 413 Content Too Large\r\nContent-Type: text/plain\r\nContent-Length: 14\r\n\r\n", client.readHead());
            assertEquals("body too large", text(client.readBytes(14)));
            assertStillServes(client);
        }
    }

    /** Other early answers in turn on one customer connection, from an HTTP/1.0 origin like Python's http.server. */
    @Test
    void shouldRelayEarlyAnswersOfAnHttp10OriginWithTheirBodies() throws IOException {
        String[][] answers = {
                {"401 Unauthorized", "WWW-Authenticate: Basic realm=\"upload\"\r\n", "log in first"},
                {"403 Forbidden", "", "blocked by the firewall"},
                {"501 Not Implemented", "", "Unsupported method ('POST')"}};
        try (RawHttpClient client = client()) {
            for (String[] answer : answers) {
                origin.answer("HTTP/1.0 " + answer[0] + "\r\n" + answer[1] + "Content-Length: " + answer[2].length() + "\r\n\r\n"
                        + answer[2], Ending.CLOSE);
                client.sendBytes(upload("/" + answer[0].substring(0, 3), LARGE_BODY));

                assertEquals("HTTP/1.1 " + answer[0] + "\r\n" + answer[1] + "Content-Length: " + answer[2].length() + "\r\n\r\n",
                        client.readHead(), answer[0]);
                assertEquals(answer[2], text(client.readBytes(answer[2].length())), answer[0]);
            }
            assertStillServes(client);
        }
    }

    /**
     * RFC 9110 section 10.1.1: a server that answers before reading the content may go on reading it. The answer is
     * whole before the body is, so the agent relays it and ends the origin connection without the rest of the body.
     */
    @Test
    void shouldRelayAnEarlyAnswerOfAnOriginThatKeepsReadingTheBody() throws IOException {
        origin.answer("HTTP/1.1 413 Content Too Large\r\nContent-Length: 14\r\n\r\nbody too large", Ending.READ_TO_END);
        try (RawHttpClient client = client()) {
            client.sendBytes(upload("/upload", LARGE_BODY));

            assertEquals("HTTP/1.1 413 Content Too Large\r\nContent-Length: 14\r\n\r\n", client.readHead());
            assertEquals("body too large", text(client.readBytes(14)));
            assertStillServes(client);
        }
    }

    /**
     * The head came and part of the body its Content-Length announces, then the reset: the customer gets the head and
     * the part, then the close its own framing reads as an incomplete message (RFC 9112 section 8), not a 502.
     */
    @Test
    void shouldRelayTheHeadAndThePartOfAFramedBodyThatCameBeforeTheReset() throws IOException {
        origin.answer("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nthe first part", Ending.CLOSE);
        try (RawHttpClient client = client()) {
            client.sendBytes(upload("/upload", LARGE_BODY));

            assertEquals("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", client.readHead());
            ReadToEnd rest = readToEndOrReset(client);
            assertEquals("the first part", rest.bytes());
        }
    }

    /**
     * RFC 9112 section 8: a body delimited by the close is complete "unless an error was indicated by the underlying
     * connection", and a reset is one: the agent cannot tell the whole body from the part the reset left. The customer,
     * whose body is delimited by the close too, gets the bytes and then a reset, never a close that says "whole".
     */
    @Test
    void shouldResetTheCustomerWhenABodyDelimitedByTheCloseEndsInAReset() throws IOException {
        origin.answer("HTTP/1.1 200 OK\r\n\r\nuntil the close", Ending.CLOSE);
        try (RawHttpClient client = client()) {
            client.sendBytes(upload("/upload", LARGE_BODY));

            ReadToEnd read = readToEndOrReset(client);
            assertTrue(read.reset(), "a reset, not a close that ends the body; got " + read.bytes());
            // what came before the reset (all of it on loopback) is the head and the body as they came
            assertTrue("HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nuntil the close".startsWith(read.bytes()), read.bytes());
        }
    }

    /**
     * The same rule where no request body is being written, so the reset shows on the read: a GET's body delimited by
     * the close, then the origin's reset (SO_LINGER 0). Before, the read's "Connection reset" closed the origin
     * connection like a FIN, and the customer's close said the body was whole.
     */
    @Test
    void shouldResetTheCustomerWhenTheOriginResetsAfterABodyDelimitedByTheClose() throws IOException {
        origin.answer("HTTP/1.1 200 OK\r\n\r\nuntil the reset", Ending.RESET);
        try (RawHttpClient client = client()) {
            client.send("GET http://" + origin.authority() + "/download HTTP/1.1\r\n" + proxy.credentials() + "\r\n");

            ReadToEnd read = readToEndOrReset(client);
            assertTrue(read.reset(), "a reset, not a close that ends the body; got " + read.bytes());
            assertTrue("HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nuntil the reset".startsWith(read.bytes()), read.bytes());
        }
    }

    /** No head came at all: 502 as before, and the customer's connection goes on (nothing of a response reached it). */
    @Test
    void shouldAnswer502WhenTheOriginClosesWithoutAnAnswerAndWithoutReadingTheBody() throws IOException {
        origin.answer("", Ending.CLOSE);
        try (RawHttpClient client = client()) {
            client.sendBytes(upload("/upload", LARGE_BODY));

            RawHttpClient.Response response = client.readResponse();
            assertEquals("HTTP/1.1 502 Bad Gateway", response.statusLine());
            assertEquals("The origin closed the connection without a response\n", response.body());
            assertStillServes(client);
        }
    }

    // ---- plumbing -------------------------------------------------------------------------------

    private RawHttpClient client() throws IOException {
        return new RawHttpClient(port);
    }

    /** A POST of {@code body} with its Content-Length, absolute-form, with the fixture's credentials, in one write. */
    private byte[] upload(String path, byte[] body) {
        return concat(ascii("POST http://" + origin.authority() + path + " HTTP/1.1\r\n" + proxy.credentials()
                + "Content-Type: application/octet-stream\r\nContent-Length: " + body.length + "\r\n\r\n"), body);
    }

    /** The connection is still in step: the next request gets exactly its own answer. */
    private void assertStillServes(RawHttpClient client) throws IOException {
        origin.answer(NEXT_ANSWER, Ending.READ_TO_END);
        client.send("GET http://" + origin.authority() + "/next HTTP/1.1\r\n" + proxy.credentials() + "\r\n");
        assertEquals("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n", client.readHead());
        assertEquals("next", text(client.readBytes(4)));
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }

    private static byte[] body(int length) {
        byte[] bytes = new byte[length];
        Arrays.fill(bytes, (byte) 'x');
        return bytes;
    }

    /** Every byte the client reads until the connection ends, and whether it ended with a reset rather than a close. */
    private record ReadToEnd(String bytes, boolean reset) {
    }

    /** Reads until the agent closes or resets the connection; the socket timeout fails an agent that does neither. */
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
}
