package com.proxyvault.agent.proxy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A raw HTTP origin on 127.0.0.1 that answers each connection, in the order they come, with the next bytes queued by
 * {@link #answer}, exactly as written (ISO-8859-1, one byte per char): whatever framing a test wants the agent to meet,
 * valid or not. Per connection it reads the request head only (up to the empty line; a body is left to the
 * {@link Ending}), records it, writes the answer at once, then ends the connection as its {@link Ending} says: closes
 * (a body delimited by the end of the connection; with a request body unread, a reset), resets, or keeps it open,
 * reading, until the agent closes it, so a test sees whether the agent waited for a close it had no reason to expect. One thread per connection; a connection with no answer queued within 10 s is closed unanswered.
 */
final class ScriptedOrigin implements AutoCloseable {

    private final ServerSocket server;
    private final BlockingQueue<Answer> answers = new LinkedBlockingQueue<>();
    private final List<String> requestHeads = new CopyOnWriteArrayList<>();
    private final Thread acceptor;

    ScriptedOrigin() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        acceptor = new Thread(this::acceptAll, "scripted-origin");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** How a connection ends after its answer is written. */
    enum Ending {
        /**
         * Closes at once. With a request body left unread, Linux sends a reset instead of a FIN (RFC 2525 section
         * 2.17), which fails the agent's write while the answer still waits, unread, in the agent's socket.
         */
        CLOSE,
        /** Resets the connection at once (SO_LINGER 0, then close), whatever it has read. */
        RESET,
        /** Reads (and drops) whatever comes until the agent closes the connection: the agent is the one to close. */
        READ_TO_END
    }

    /** Queues the raw answer to the next connection; {@code thenClose}: close right after writing it. */
    ScriptedOrigin answer(String raw, boolean thenClose) {
        return answer(raw, thenClose ? Ending.CLOSE : Ending.READ_TO_END);
    }

    /** Queues the raw answer to the next connection, which then ends as {@code ending} says. */
    ScriptedOrigin answer(String raw, Ending ending) {
        answers.add(new Answer(raw.getBytes(StandardCharsets.ISO_8859_1), ending));
        return this;
    }

    int port() {
        return server.getLocalPort();
    }

    /** host:port as a proxy client names this origin. */
    String authority() {
        return "127.0.0.1:" + port();
    }

    /** The request heads received so far, as sent (CRLFs included). */
    List<String> requestHeads() {
        return requestHeads;
    }

    private void acceptAll() {
        while (!server.isClosed()) {
            try {
                Socket connection = server.accept();
                Thread serving = new Thread(() -> serve(connection), "scripted-origin-connection");
                serving.setDaemon(true);
                serving.start();
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void serve(Socket connection) {
        try (connection) {
            connection.setSoTimeout(15_000);
            InputStream in = connection.getInputStream();
            requestHeads.add(readHead(in));
            Answer answer = answers.poll(10, TimeUnit.SECONDS);
            if (answer == null) {
                return;
            }
            OutputStream out = connection.getOutputStream();
            out.write(answer.bytes());
            out.flush();
            if (answer.ending() == Ending.RESET) {
                connection.setSoLinger(true, 0);
            } else if (answer.ending() == Ending.READ_TO_END) {
                byte[] buffer = new byte[64 * 1024];
                while (in.read(buffer) != -1) {
                    // held open, a body read and dropped: the agent is the one to close
                }
            }
        } catch (IOException | InterruptedException ignored) {
            // the agent closed or reset first, or the test is over
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        int b;
        while (matched < 4 && (b = in.read()) != -1) {
            head.write(b);
            matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws IOException {
        server.close();
    }

    private record Answer(byte[] bytes, Ending ending) {
    }
}
