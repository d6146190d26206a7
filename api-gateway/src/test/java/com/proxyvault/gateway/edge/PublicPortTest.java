package com.proxyvault.gateway.edge;

import com.proxyvault.gateway.UpstreamStub;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The public port's own answers: what the HTTP layer refuses comes back with the JSON body and a code,
 * and a client that trickles its headers is cut off (test profile: header-read timeout 1 s).
 */
@QuarkusTest
@WithTestResource(UpstreamStub.class)
class PublicPortTest {

    @Inject
    EdgeServer edge;

    @BeforeEach
    void usePublicPort() {
        RestAssured.port = edge.port();
    }

    @Test
    void shouldAnswerLimitsWithTheJsonErrorBody() {
        given().get("/v1/reseller/orders?q=" + "a".repeat(9_000))
                .then().statusCode(414).body("code", equalTo("uri_too_long")).body("detail", equalTo("Request line too long"));
        given().header("Cookie", "c=" + "a".repeat(17_000)).get("/v1/reseller/balance")
                .then().statusCode(431).body("code", equalTo("headers_too_large"));
        given().header("Authorization", "Bearer rv_x").contentType("application/json")
                .body("{\"name\":\"" + "a".repeat(70_000) + "\"}").post("/v1/reseller/keys")
                .then().statusCode(413).body("code", equalTo("payload_too_large"));
        given().get("/no/such/page").then().statusCode(404).body("code", equalTo("not_found")).body("detail", equalTo("Not Found"));
        given().get("/v1/reseller/balance").then().statusCode(401).header("WWW-Authenticate", "Bearer")
                .body("code", equalTo("unauthorized"));
        // found trying the API as a new user: a gzipped body was answered 400 "not valid UTF-8"
        given().header("Authorization", "Bearer rv_x").header("Content-Encoding", "gzip").contentType("application/json")
                .body(new byte[] {0x1f, (byte) 0x8b, 8, 0}).post("/v1/reseller/orders")
                .then().statusCode(415).body("code", equalTo("unsupported_media_type"))
                .body("detail", equalTo("Content-Encoding gzip is not supported: send the body uncompressed"));
    }

    /** docs/console.md: the consoles are a fixed list of files, each with a CSP that allows no inline script. */
    @Test
    void shouldServeOnlyTheConsolesFilesWithAStrictContentSecurityPolicy() {
        for (String page : new String[] {"/", "/admin"}) {
            given().get(page).then().statusCode(200)
                    .contentType(startsWith("text/html"))
                    .header("Content-Security-Policy", containsString("script-src 'self';"))
                    .header("Content-Security-Policy", containsString("frame-ancestors 'none'"))
                    .header("X-Content-Type-Options", "nosniff")
                    .header("Referrer-Policy", "no-referrer")
                    .body(containsString("<script type=\"module\" src=\"/console/"))
                    // Nothing inline for the CSP to have to allow.
                    .body(not(containsString("<script>"))).body(not(containsString("style=")));
        }
        given().get("/console/reseller.js").then().statusCode(200).contentType(startsWith("text/javascript"));
        given().get("/console/console.css").then().statusCode(200).contentType(startsWith("text/css"));
        given().head("/admin").then().statusCode(200);
        // Not listed, so not served, even where a file of that name is on the class path.
        for (String other : new String[] {"/console/index.html", "/index.html", "/admin/", "/console/application.properties"}) {
            given().get(other).then().statusCode(404).body("code", equalTo("not_found"));
        }
        given().post("/").then().statusCode(404).body("code", equalTo("not_found"));
    }

    @Test
    void shouldCloseAConnectionWhoseHeadersNeverComplete() throws Exception {
        try (Socket socket = new Socket("localhost", edge.port())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            out.write("GET /v1/reseller/balance HTTP/1.1\r\nHost: localhost\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            boolean closed = false;
            try {
                // Keep trickling header bytes (an idle timeout alone would never fire), for up to 10 s.
                for (int i = 0; i < 40; i++) {
                    out.write('x');
                    out.flush();
                    Thread.sleep(250);
                }
                closed = in.read() == -1;
            } catch (SocketTimeoutException e) {
                closed = false;
            } catch (IOException e) {
                closed = true; // reset by the server while we were still writing
            }
            assertTrue(closed, "the server closes a connection whose headers trickle in past the deadline");
        }
    }

    @Test
    void shouldKeepAnAnsweredConnectionOpenForTheNextRequest() throws Exception {
        try (Socket socket = new Socket("localhost", edge.port())) {
            socket.setSoTimeout(5_000);
            OutputStream out = socket.getOutputStream();
            byte[] request = "GET /nowhere HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
            for (int i = 0; i < 2; i++) {
                out.write(request);
                out.flush();
                String head = readResponseHead(socket.getInputStream());
                assertTrue(head.startsWith("HTTP/1.1 404"), head);
            }
        }
    }

    private static String readResponseHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            assertTrue(b >= 0, "connection closed early: " + head);
            head.append((char) b);
        }
        int contentLength = 0;
        for (String line : head.toString().split("\r\n")) {
            if (line.toLowerCase().startsWith("content-length:")) {
                contentLength = Integer.parseInt(line.substring(15).trim());
            }
        }
        assertEquals(contentLength, in.readNBytes(contentLength).length);
        return head.toString();
    }
}
