package com.proxyvault.systemtests;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.concurrent.TimeUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/** Servers the test runs on 127.0.0.1: an origin to reach through the proxy, and a webhook receiver. */
final class LocalServers {

    private LocalServers() {
    }

    /**
     * The origin's port is fixed because the device agent reaches loopback origins only when they are
     * listed with their port: bin/stack starts it with AGENT_ALLOWED_PRIVATE_TARGETS=127.0.0.1:<this>.
     * Both read PV_ORIGIN_PORT (default 18080).
     */
    static int originPort() {
        String configured = System.getenv("PV_ORIGIN_PORT");
        return configured == null || configured.isBlank() ? 18080 : Integer.parseInt(configured.strip());
    }

    static HttpServer origin(String greeting) throws IOException {
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", originPort()), 0);
        } catch (BindException e) {
            throw portTaken(e);
        }
        return greet(server, greeting);
    }

    /**
     * The same origin speaking HTTPS on the same port (the only loopback port the agent may reach), with the
     * certificate of {@code tls}: what a customer's browser reaches through CONNECT or SOCKS5.
     */
    static HttpsServer httpsOrigin(String greeting, Tls tls) throws Exception {
        HttpsServer server;
        try {
            server = HttpsServer.create(new InetSocketAddress("127.0.0.1", originPort()), 0);
        } catch (BindException e) {
            throw portTaken(e);
        }
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(tls.keyStore(), Tls.PASSWORD.toCharArray());
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keys.getKeyManagers(), null, null);
        server.setHttpsConfigurator(new HttpsConfigurator(context));
        greet(server, greeting);
        return server;
    }

    private static IOException portTaken(BindException e) {
        return new IOException("the test origin's port 127.0.0.1:" + originPort() + " is taken; run the stack and the"
                + " system tests with another PV_ORIGIN_PORT", e);
    }

    /**
     * A self-signed certificate for {@code localhost} and {@code 127.0.0.1}, made with the JDK's keytool into
     * {@code dir}: the PKCS#12 key store the origin serves it from, and the PEM file clients trust.
     */
    record Tls(Path keyStoreFile, Path certificatePem) {
        static final String PASSWORD = "system-tests";

        static Tls create(Path dir) throws Exception {
            Files.createDirectories(dir);
            Path keyStore = dir.resolve("origin.p12");
            Path pem = dir.resolve("origin.pem");
            Files.deleteIfExists(keyStore);
            String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
            run(keytool, "-genkeypair", "-alias", "origin", "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2",
                    "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-storetype", "PKCS12",
                    "-keystore", keyStore.toString(), "-storepass", PASSWORD);
            run(keytool, "-exportcert", "-rfc", "-alias", "origin", "-keystore", keyStore.toString(), "-storepass", PASSWORD,
                    "-file", pem.toString());
            return new Tls(keyStore, pem);
        }

        KeyStore keyStore() throws Exception {
            KeyStore store = KeyStore.getInstance("PKCS12");
            try (var in = Files.newInputStream(keyStoreFile)) {
                store.load(in, PASSWORD.toCharArray());
            }
            return store;
        }

        /** A client context that trusts this certificate only. */
        SSLContext clientContext() throws Exception {
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(keyStore());
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context;
        }

        private static void run(String... command) throws Exception {
            Process process = new ProcessBuilder(new ArrayList<>(List.of(command))).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IOException(String.join(" ", command) + " failed: " + output);
            }
        }
    }

    private static <S extends HttpServer> S greet(S server, String greeting) {
        server.createContext("/", exchange -> {
            byte[] body = (greeting + " " + exchange.getRequestURI().getPath()).getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "text/plain");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        return server;
    }

    record Delivery(Map<String, List<String>> headers, byte[] body) {
        String header(String name) {
            return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                    .findFirst().map(e -> e.getValue().get(0)).orElse(null);
        }

        String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    static final class WebhookReceiver implements AutoCloseable {
        final List<Delivery> deliveries = new CopyOnWriteArrayList<>();
        private final HttpServer server;

        WebhookReceiver() throws IOException {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext("/webhook", exchange -> {
                deliveries.add(new Delivery(Map.copyOf(exchange.getRequestHeaders()), exchange.getRequestBody().readAllBytes()));
                exchange.sendResponseHeaders(204, -1);
                exchange.close();
            });
            server.start();
        }

        String url() {
            return "http://127.0.0.1:" + server.getAddress().getPort() + "/webhook";
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }
}
