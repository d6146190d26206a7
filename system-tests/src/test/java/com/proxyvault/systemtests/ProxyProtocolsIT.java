package com.proxyvault.systemtests;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsServer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static com.proxyvault.systemtests.StackApi.newReseller;
import static com.proxyvault.systemtests.StackApi.reseller;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A bought proxy speaks SOCKS5 as well as HTTP, on its one port (issue 8, items 2 and 9; docs/fleet.md "Data
 * path"): the real device agent behind the real fleet, reached by two independent clients, a SOCKS5 client
 * written out in the test (RFC 1928 CONNECT, RFC 1929 username/password) and curl's
 * {@code --socks5-hostname}, both to the origin this test runs on 127.0.0.1. Wrong passwords are refused in
 * either protocol before anything reaches the origin. HTTPS goes through both, CONNECT and SOCKS5, from
 * both clients, with the origin's certificate checked end to end. (Plain HTTP absolute-form and CONNECT with
 * the right credentials, and a wrong username, are PurchaseFlowIT's.)
 */
class ProxyProtocolsIT {

    private static final String GREETING = "hello through the proxy";

    @BeforeAll
    static void gateway() {
        StackApi.useGateway();
    }

    @Test
    void shouldCarrySocks5FromTwoClientsAndHttpOnOnePortAndRefuseWrongPasswords() throws Exception {
        HttpServer origin = LocalServers.origin(GREETING);
        StackApi.Reseller buyer = newReseller("10.00");
        JsonNode proxy = StackApi.buyActiveProxy(buyer);
        String ip = proxy.get("ip").asText();
        int port = proxy.get("port").asInt();
        String username = proxy.get("username").asText();
        String password = proxy.get("password").asText();
        int originPort = origin.getAddress().getPort();
        try {
            // The test's own client: CONNECT to an IPv4 address, and to a name the agent resolves itself.
            Socks5Client.Outcome byAddress = Socks5Client.connectAndGet(ip, port, username, password, "127.0.0.1", originPort, "/socks-ipv4");
            assertEquals(Socks5Client.METHOD_USERNAME_PASSWORD, byAddress.method(), "username/password chosen: " + byAddress);
            assertEquals(0, byAddress.authStatus(), "RFC 1929 success: " + byAddress);
            assertEquals(0, byAddress.replyCode(), "RFC 1928 succeeded: " + byAddress);
            assertTrue(byAddress.response().startsWith("HTTP/1.1 200"), byAddress.response());
            assertTrue(byAddress.response().endsWith(GREETING + " /socks-ipv4"), byAddress.response());
            Socks5Client.Outcome byName = Socks5Client.connectAndGet(ip, port, username, password, "localhost", originPort, "/socks-name");
            assertEquals(0, byName.replyCode(), "CONNECT to a domain name: " + byName);
            assertTrue(byName.response().endsWith(GREETING + " /socks-name"), byName.response());

            // A second, independent implementation: curl, the name resolved by the proxy (socks5h).
            Curl viaCurl = curl("--socks5-hostname", username + ":" + password + "@" + ip + ":" + port,
                    "http://localhost:" + originPort + "/curl");
            assertEquals(0, viaCurl.exitCode(), viaCurl.toString());
            assertEquals(GREETING + " /curl", viaCurl.output(), viaCurl.toString());

            // Wrong password: RFC 1929 failure status and the connection closed (the RFC's MUST), in both clients.
            Socks5Client.Outcome refused = Socks5Client.connectAndGet(ip, port, username, password + "x", "127.0.0.1", originPort, "/nope");
            assertNotEquals(0, refused.authStatus(), "RFC 1929 failure: " + refused);
            assertTrue(refused.closedAfterRefusal(), "closed after the failed authentication: " + refused);
            Curl curlRefused = curl("--socks5-hostname", username + ":wrong-" + password + "@" + ip + ":" + port,
                    "http://localhost:" + originPort + "/nope");
            assertNotEquals(0, curlRefused.exitCode(), curlRefused.toString());
            assertFalse(curlRefused.output().contains(GREETING), curlRefused.toString());
            // A client offering no password method gets "no acceptable methods" (RFC 1928 section 3), then a close.
            Socks5Client.Outcome noAuth = Socks5Client.greet(ip, port, Socks5Client.METHOD_NO_AUTH);
            assertEquals(Socks5Client.NO_ACCEPTABLE_METHODS, noAuth.method(), noAuth.toString());
            assertTrue(noAuth.closedAfterRefusal(), noAuth.toString());

            // The same port still speaks HTTP: the right username with a wrong password is a 407 both ways.
            String target = "127.0.0.1:" + originPort;
            String wrongPassword = ProxyClient.basic(username, password + "x");
            String absolute = ProxyClient.absoluteFormGet(ip, port, wrongPassword, target, "/nope");
            assertTrue(absolute.startsWith("HTTP/1.1 407"), absolute);
            assertTrue(absolute.toLowerCase().contains("proxy-authenticate: basic"), absolute);
            String tunnel = ProxyClient.connectThenGet(ip, port, wrongPassword, target, "/nope");
            assertTrue(tunnel.startsWith("HTTP/1.1 407"), tunnel);
            assertFalse(absolute.contains(GREETING) || tunnel.contains(GREETING), "nothing reached the origin");
            String allowed = ProxyClient.absoluteFormGet(ip, port, ProxyClient.basic(username, password), target, "/http");
            assertTrue(allowed.endsWith(GREETING + " /http"), allowed);
        } finally {
            // Frees the simulated modem for later tests and runs against the same stack.
            reseller(buyer.key()).post("/v1/reseller/proxies/" + proxy.get("id").asLong() + "/disconnect");
            origin.stop(0);
        }
    }

    @Test
    void shouldCarryHttpsThroughConnectAndSocks5WithTheOriginsCertificateIntact() throws Exception {
        // The proxy only relays bytes: the customer's TLS session is with the origin, whose certificate (made
        // for this run, for localhost) each client checks, host name included.
        LocalServers.Tls tls = LocalServers.Tls.create(Path.of("target", "origin-tls"));
        HttpsServer origin = LocalServers.httpsOrigin(GREETING, tls);
        StackApi.Reseller buyer = newReseller("10.00");
        JsonNode proxy = StackApi.buyActiveProxy(buyer);
        String ip = proxy.get("ip").asText();
        int port = proxy.get("port").asInt();
        String username = proxy.get("username").asText();
        String password = proxy.get("password").asText();
        int originPort = origin.getAddress().getPort();
        try {
            String viaConnect = ProxyClient.connectThenHttpsGet(ip, port, ProxyClient.basic(username, password),
                    "localhost", originPort, "/https-connect", tls.clientContext());
            assertTrue(viaConnect.startsWith("HTTP/1.1 200"), "tunnel established: " + viaConnect);
            assertTrue(viaConnect.endsWith(GREETING + " /https-connect"), viaConnect);
            Socks5Client.Outcome viaSocks = Socks5Client.connectAndGet(ip, port, username, password, "localhost", originPort,
                    "/https-socks", tls.clientContext());
            assertEquals(0, viaSocks.replyCode(), viaSocks.toString());
            assertTrue(viaSocks.response().endsWith(GREETING + " /https-socks"), viaSocks.response());

            String url = "https://localhost:" + originPort;
            Curl curlConnect = curl("--proxy", "http://" + username + ":" + password + "@" + ip + ":" + port,
                    "--cacert", tls.certificatePem().toString(), url + "/curl-connect");
            assertEquals(0, curlConnect.exitCode(), curlConnect.toString());
            assertEquals(GREETING + " /curl-connect", curlConnect.output(), curlConnect.toString());
            Curl curlSocks = curl("--socks5-hostname", username + ":" + password + "@" + ip + ":" + port,
                    "--cacert", tls.certificatePem().toString(), url + "/curl-socks");
            assertEquals(0, curlSocks.exitCode(), curlSocks.toString());
            assertEquals(GREETING + " /curl-socks", curlSocks.output(), curlSocks.toString());
        } finally {
            reseller(buyer.key()).post("/v1/reseller/proxies/" + proxy.get("id").asLong() + "/disconnect");
            origin.stop(0);
        }
    }

    /** What curl printed on stdout (the response body) and its exit code, with stderr for the failure message. */
    record Curl(int exitCode, String output, String errors) {
    }

    /** Runs curl (on every machine bin/stack runs on) with a deadline; never through an environment proxy. */
    private static Curl curl(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("curl", "-sS", "--max-time", "10", "--noproxy", ""));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        for (String variable : List.of("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")) {
            builder.environment().remove(variable);
        }
        Process process = builder.start();
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String errors = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(20, TimeUnit.SECONDS), "curl finished");
        return new Curl(process.exitValue(), output, errors);
    }
}
