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
 * valid or not. Per connection it reads the request head (up to the empty line; the agent's requests in these tests
 * have no body), records it, writes the answer, then either closes (a body delimited by the end of the connection) or
 * keeps the connection open until the agent closes it, so a test sees whether the agent waited for a close it had no
 * reason to expect. One thread per connection; a connection with no answer queued within 10 s is closed unanswered.
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

    /** Queues the raw answer to the next connection; {@code thenClose}: close right after writing it. */
    ScriptedOrigin answer(String raw, boolean thenClose) {
        answers.add(new Answer(raw.getBytes(StandardCharsets.ISO_8859_1), thenClose));
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
            if (!answer.thenClose()) {
                while (in.read() != -1) {
                    // held open: the agent is the one to close
                }
            }
        } catch (IOException | InterruptedException ignored) {
            // the agent closed first, or the test is over
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

    private record Answer(byte[] bytes, boolean thenClose) {
    }
}
