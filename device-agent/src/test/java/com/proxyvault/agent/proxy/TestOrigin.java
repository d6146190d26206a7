package com.proxyvault.agent.proxy;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A tiny origin web server on 127.0.0.1 that remembers every request it got.
 * {@code /echo} answers with the request body, {@code /chunked} with {@link #CHUNKS} copies of
 * {@link #CHUNK} in chunked encoding, anything else with {@link #GREETING}.
 */
public final class TestOrigin implements AutoCloseable {

    public static final String GREETING = "hello from the origin";
    public static final String CHUNK = "0123456789abcdef".repeat(256);
    public static final int CHUNKS = 64;

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final List<ReceivedRequest> received = new CopyOnWriteArrayList<>();

    public TestOrigin() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            byte[] requestBody = exchange.getRequestBody().readAllBytes();
            received.add(new ReceivedRequest(exchange.getRequestMethod(), exchange.getRequestURI().toString(),
                    exchange.getRequestHeaders(), new String(requestBody, StandardCharsets.UTF_8),
                    exchange.getRemoteAddress().getAddress().getHostAddress()));
            if (exchange.getRequestURI().getPath().equals("/chunked")) {
                // No length up front: the JDK server sends it chunked, like most big downloads.
                exchange.sendResponseHeaders(200, 0);
                try (OutputStream out = exchange.getResponseBody()) {
                    for (int i = 0; i < CHUNKS; i++) {
                        out.write(CHUNK.getBytes(StandardCharsets.UTF_8));
                        out.flush();
                    }
                }
                return;
            }
            byte[] responseBody = exchange.getRequestURI().getPath().equals("/echo")
                    ? requestBody
                    : GREETING.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain");
            exchange.sendResponseHeaders(200, responseBody.length == 0 ? -1 : responseBody.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(responseBody);
            }
        });
        server.setExecutor(executor);
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** host:port as a proxy client names this origin. */
    public String authority() {
        return "127.0.0.1:" + port();
    }

    public List<ReceivedRequest> received() {
        return received;
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    /** @param remoteAddress the address the request came from (the proxy's egress address) */
    public record ReceivedRequest(String method, String uri, Headers headers, String body, String remoteAddress) {
    }
}
