package com.proxyvault.gateway.edge;

import com.proxyvault.gateway.GatewayTest;
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
                .then().statusCode(414).statusLine(org.hamcrest.Matchers.endsWith(" 414 URI Too Long"))
                .body("code", equalTo("uri_too_long")).body("detail", equalTo("Request line too long"));
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

    /**
     * A body whose Content-Type names a charset other than UTF-8 is 415 naming it, before authentication (new-user
     * review: {@code application/json; charset=latin1} was accepted, and its bytes judged as UTF-8 all the same).
     */
    @Test
    void shouldRefuseABodyInAnyCharsetButUtf8NamingIt() throws Exception {
        given().header("Authorization", "Bearer rv_x").contentType("application/json; charset=latin1").body("{}")
                .post("/v1/reseller/orders/1/pay")
                .then().statusCode(415).body("code", equalTo("unsupported_media_type"))
                .body("detail", equalTo("Content-Type charset 'latin1' is not supported: send the body as UTF-8"
                        + " (charset=utf-8, or no charset)"));
        given().header("Authorization", "Bearer " + GatewayTest.operatorToken()).contentType("application/json; charset=UTF-16")
                .body("{\"name\":\"x\"}").post("/v1/admin/resellers")
                .then().statusCode(415).body("detail", containsString("'UTF-16'"));
        given().header("Authorization", "Bearer " + GatewayTest.operatorToken()).contentType("application/json; charset=utf-8")
                .body(java.util.Map.of("name", "charset-" + System.nanoTime())).post("/v1/admin/resellers")
                .then().statusCode(201);
    }

    /**
     * A body is JSON or nothing (docs/api.md, 415): a wildcard type was taken as JSON, and an action that reads no
     * body ran whatever came with it (new-user review: {@code text/plain} "garbage" rotated a webhook secret).
     */
    @Test
    void shouldRefuseABodyOfAnyTypeButJsonEvenWhereTheActionReadsNone() throws Exception {
        for (String type : new String[] {"*/*", "application/*", "text/plain"}) {
            given().header("Authorization", "Bearer rv_x").contentType(type).body("garbage".getBytes(StandardCharsets.UTF_8))
                    .post("/v1/reseller/webhooks/1/rotate-secret")
                    .then().statusCode(415).body("code", equalTo("unsupported_media_type"))
                    .body("detail", equalTo("Content-Type " + type + " is not supported: send the body as application/json"));
        }
        given().header("Authorization", "Bearer " + GatewayTest.operatorToken()).contentType("*/*")
                .body("{\"name\":\"x\"}".getBytes(StandardCharsets.UTF_8)).post("/v1/admin/resellers").then().statusCode(415);
    }

    /**
     * RFC 8259 section 8.1 (docs/api.md "Request bodies"): a UTF-8 byte order mark is ignored, as it always was; a
     * UTF-16 one is refused, and the detail says so.
     */
    @Test
    void shouldIgnoreAUtf8ByteOrderMarkAndRefuseAUtf16OneNamingIt() throws Exception {
        String name = "bom-" + java.util.UUID.randomUUID();
        byte[] json = ("{\"name\":\"" + name + "\"}").getBytes(StandardCharsets.UTF_8);
        byte[] body = new byte[json.length + 3];
        body[0] = (byte) 0xEF;
        body[1] = (byte) 0xBB;
        body[2] = (byte) 0xBF;
        System.arraycopy(json, 0, body, 3, json.length);
        given().header("Authorization", "Bearer " + GatewayTest.operatorToken()).contentType("application/json").body(body)
                .post("/v1/admin/resellers")
                .then().statusCode(201).body("name", equalTo(name));
        byte[] utf16 = ("\uFEFF{\"name\":\"" + name + "-16\"}").getBytes(StandardCharsets.UTF_16LE);
        given().header("Authorization", "Bearer " + GatewayTest.operatorToken()).contentType("application/json").body(utf16)
                .post("/v1/admin/resellers")
                .then().statusCode(400).body("code", equalTo("malformed_json")).body("detail", containsString("byte order mark"));
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

    /**
     * A query string with a broken percent-escape (RFC 3986 §2.1) is 400 with the error body on every
     * authenticated path, the gateway's own and forwarded ones alike (new-user review: a 400 with an empty
     * body). Sent over a raw socket: HTTP clients refuse to send such a request line.
     */
    @Test
    void shouldAnswerABrokenPercentEscapeInTheQueryWithTheErrorBody() throws Exception {
        String key = given().header("Authorization", "Bearer " + GatewayTest.operatorToken()).contentType("application/json")
                .body(java.util.Map.of("name", "escape-" + System.nanoTime())).post("/v1/admin/resellers")
                .then().statusCode(201).extract().jsonPath().getString("api_key.key");
        for (String target : new String[] {"/v1/reseller/keys?%zz=1", "/v1/reseller/orders?limit=%",
                "/v1/reseller/balance?status=%E0%A4%A", "/v1/reseller/orders?status=%FF", "/v1/admin/resellers?%zz"}) {
            String answer = rawGet(target, key);
            assertTrue(answer.startsWith("HTTP/1.1 400 "), target + ": " + answer);
            assertTrue(answer.toLowerCase().contains("content-type: application/json"), target + ": " + answer);
            assertTrue(answer.contains("\"code\":\"bad_request\""), target + ": " + answer);
            assertTrue(answer.contains("Malformed query string"), target + ": " + answer);
        }
        // every parameter takes one value: a repeated one (also spelled with an escape) is refused, not half-read
        for (String target : new String[] {"/v1/reseller/orders?status=paid&status=active",
                "/v1/reseller/orders?limit=5&offset=0&l%69mit=6", "/v1/admin/resellers?limit=1&limit=1"}) {
            String answer = rawGet(target, key);
            assertTrue(answer.startsWith("HTTP/1.1 400 "), target + ": " + answer);
            assertTrue(answer.contains("\"code\":\"bad_request\""), target + ": " + answer);
            assertTrue(answer.contains("must appear only once"), target + ": " + answer);
        }
        // RFC 9112 §3.2.2: a server must accept the absolute form; it is forwarded in origin form (new-user review:
        // "http://upstream:8081http://x/..." was never answered)
        String absolute = rawGet("http://x/v1/reseller/orders?limit=5", key);
        assertTrue(absolute.startsWith("HTTP/1.1 200 "), absolute);
        assertEquals("/v1/reseller/orders?limit=5", com.proxyvault.gateway.UpstreamStub.last.get().pathAndQuery());
        String distinct = rawGet("/v1/reseller/orders?limit=5&offset=0", key);
        assertTrue(!distinct.contains("must appear only once"), "distinct parameters pass: " + distinct);
        // RFC 9112 §3.2: an HTTP/1.1 request without Host is 400 (new-user review: it was served)
        try (Socket socket = new Socket("localhost", edge.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("GET /v1/reseller/balance HTTP/1.1\r\nAuthorization: Bearer " + key
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(answer.startsWith("HTTP/1.1 400 ") && answer.contains("Host header"), answer);
        }
        // escapes that decode to UTF-8 still pass: an unknown status is the orders resource's own 422 (stub: 200)
        assertTrue(rawGet("/v1/reseller/orders?status=%C3%BC", key).startsWith("HTTP/1.1 200 "));
    }

    @Inject
    io.micrometer.core.instrument.MeterRegistry meters;

    /**
     * The public port's request metrics are tagged with the route, not the raw path: one series per endpoint
     * however many orders, proxies and webhooks there are (new-user review: raw ids and queries filled
     * Micrometer's 100-URI cap, after which new paths went uncounted; docs/operations.md section 5 "Standard metrics").
     */
    @Test
    void shouldTagRequestMetricsWithTheRouteNotTheIdsOrTheQuery() throws Exception {
        String key = given().header("Authorization", "Bearer " + GatewayTest.operatorToken()).contentType("application/json")
                .body(java.util.Map.of("name", "metrics-" + System.nanoTime())).post("/v1/admin/resellers")
                .then().statusCode(201).extract().jsonPath().getString("api_key.key");
        java.util.Map<String, String> routes = new java.util.LinkedHashMap<>();
        routes.put("/v1/reseller/orders/918273/pay", "/v1/reseller/orders/{id}/pay");
        routes.put("/v1/reseller/orders/918273", "/v1/reseller/orders/{id}");
        routes.put("/v1/reseller/orders?limit=7&offset=918273", "/v1/reseller/orders");
        routes.put("/v1/reseller/proxies/918273/reset", "/v1/reseller/proxies/{id}/reset");
        routes.put("/v1/reseller/webhooks/918273/deliveries/918274/resend", "/v1/reseller/webhooks/{id}/deliveries/{id}/resend");
        routes.put("/v1/reseller/balance/transactions?limit=918273", "/v1/reseller/balance/transactions");
        given().header("Authorization", "Bearer " + key).get("/v1/reseller/made-up/918273/path"); // 404: NOT_FOUND
        // made-up paths answered 401 (no key) are not 404s: they fall into /v1/reseller/{other}, not one series each
        given().get("/v1/reseller/zz918273").then().statusCode(401);
        given().get("/v1/reseller/orders/918273/zz").then().statusCode(401);
        routes.put("/v1/reseller/zz918273", "/v1/reseller/{other}");
        for (String target : routes.keySet()) {
            given().header("Authorization", "Bearer " + key).get(target);
        }
        java.util.Set<String> uris = new java.util.TreeSet<>();
        meters.find("http.server.requests").timers().forEach(timer -> uris.add(timer.getId().getTag("uri")));
        for (String uri : uris) {
            assertTrue(!uri.contains("918273") && !uri.contains("?"), "a raw path or query as a tag: " + uri + " in " + uris);
        }
        for (String route : routes.values()) {
            assertTrue(uris.contains(route), route + " in " + uris);
        }
    }

    /**
     * An Accept header that rules JSON out is 406 on every API path, q=0 included (RFC 9110 §12.5.1; new-user
     * review: {@code application/json;q=0} was served); one that leaves JSON acceptable, however low, is served.
     */
    @Test
    void shouldAnswer406WhenAcceptRulesOutJsonByWeightToo() throws Exception {
        String key = given().header("Authorization", "Bearer " + GatewayTest.operatorToken()).contentType("application/json")
                .body(java.util.Map.of("name", "accept-" + System.nanoTime())).post("/v1/admin/resellers")
                .then().statusCode(201).extract().jsonPath().getString("api_key.key");
        for (String accept : new String[] {"application/json;q=0", "*/*;q=0, text/plain", "application/xml",
                "application/*;q=0.5, application/json;q=0"}) {
            given().header("Authorization", "Bearer " + key).header("Accept", accept).get("/v1/reseller/keys")
                    .then().statusCode(406).body("code", equalTo("not_acceptable"));
        }
        for (String accept : new String[] {"text/html, */*;q=0.1", "application/json;q=0.001", "APPLICATION/JSON",
                "application/json;q=0, */*;q=1, application/*;q=0.3", "*/*"}) {
            given().header("Authorization", "Bearer " + key).header("Accept", accept).get("/v1/reseller/keys")
                    .then().statusCode(accept.startsWith("application/json;q=0,") ? 406 : 200);
        }
    }

    /** The whole answer (status line, headers, body) to a GET of {@code target} sent as is, with the key. */
    private String rawGet(String target, String key) throws IOException {
        try (Socket socket = new Socket("localhost", edge.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("GET " + target + " HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + key
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
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

    /**
     * Found trying the API as a new user: with two Authorization lines the gateway authenticated the first.
     * RFC 9110 makes it a singleton field, so either order is 400 before any key is looked up or anything
     * forwarded; the same for the other singletons the gateway reads (docs/api.md, "Repeated headers").
     */
    @Test
    void shouldRefuseARepeatedAuthorizationHeaderBeforeLookingAtEitherKey() throws Exception {
        String key = given().header("Authorization", "Bearer " + GatewayTest.operatorToken()).contentType("application/json")
                .body("{\"name\": \"twice-" + System.nanoTime() + "\"}").post("/v1/admin/resellers")
                .then().statusCode(201).extract().path("api_key.key");
        given().header("Authorization", "Bearer " + key).get("/v1/reseller/balance").then().statusCode(200);
        UpstreamStub.last.set(null);
        for (String[] pair : new String[][] {{key, "rv_unknown"}, {"rv_unknown", key}, {key, key}}) {
            String answer = exchange("GET /v1/reseller/balance HTTP/1.1\r\nHost: localhost\r\n"
                    + "Authorization: Bearer " + pair[0] + "\r\nauthorization: Bearer " + pair[1] + "\r\n\r\n");
            assertTrue(answer.startsWith("HTTP/1.1 400 "), answer);
            assertTrue(answer.endsWith("{\"detail\":\"The Authorization header must appear only once in a request\","
                    + "\"code\":\"bad_request\"}"), answer);
        }
        assertEquals(null, UpstreamStub.last.get(), "nothing was forwarded");
        // The operator API too: smallrye-jwt would otherwise read the first token.
        String operator = GatewayTest.operatorToken();
        assertTrue(exchange("GET /v1/admin/resellers HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + operator
                + "\r\nAuthorization: Bearer x\r\n\r\n").startsWith("HTTP/1.1 400 "));
    }

    @Test
    void shouldRefuseEveryOtherSingletonHeaderSentTwice() throws Exception {
        String body = "{\"product_id\": 1, \"pricing_id\": 1}";
        for (String repeated : new String[] {
                "Content-Type: application/json\r\nContent-Type: text/plain\r\n",
                "Idempotency-Key: a\r\nIdempotency-Key: b\r\n",
                "Host: other\r\n"}) {
            String answer = exchange("POST /v1/reseller/orders HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer rv_x\r\n"
                    + repeated + "Content-Length: " + body.length() + "\r\n\r\n" + body);
            assertTrue(answer.startsWith("HTTP/1.1 400 "), answer);
            assertTrue(answer.contains("\"code\":\"bad_request\"") && answer.contains("header must appear only once"), answer);
        }
        // Content-Encoding is a list: identity on one line does not hide gzip on the next.
        String answer = exchange("POST /v1/reseller/orders HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer rv_x\r\n"
                + "Content-Encoding: identity\r\nContent-Encoding: gzip\r\nContent-Length: 2\r\n\r\n{}");
        assertTrue(answer.startsWith("HTTP/1.1 415 ") && answer.contains("Content-Encoding identity, gzip"), answer);
        // Two Content-Length lines: the HTTP codec refuses the message itself (framing), before this check.
        answer = exchange("POST /v1/reseller/orders HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n"
                + "Content-Length: 2\r\n\r\n{}");
        assertTrue(answer.startsWith("HTTP/1.1 400 ") && answer.contains("\"code\":\"bad_request\""), answer);
        // A list-valued header sent twice is fine: the request goes on (here: to the key check).
        assertTrue(exchange("GET /v1/reseller/balance HTTP/1.1\r\nHost: localhost\r\nAccept: application/json\r\n"
                + "Accept: */*\r\n\r\n").startsWith("HTTP/1.1 401 "));
    }

    /**
     * RFC 9112 section 6.3 item 4 (docs/api.md "Request framing"): when a request's Transfer-Encoding does not end in
     * chunked, or names it twice, nothing says where its body ends, so it is 400 and the connection is closed; no
     * byte after the head is read as another request. New-user review 32, M4: {@code Transfer-Encoding: gzip} was
     * read as an empty body and the body's bytes were run as a second request on the same connection (two answers).
     */
    @Test
    void shouldRefuseATransferEncodingThatDoesNotEndInChunkedAndRunNothingFromItsBody() throws Exception {
        String key = newResellerKey("framing");
        String inner = "GET /v1/reseller/products HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer " + key
                + "\r\nConnection: close\r\n\r\n";
        String[][] cases = {
                {"Transfer-Encoding: gzip\r\n", "Transfer-Encoding must end with chunked: without it the body's end is unknown"},
                {"Transfer-Encoding:\r\n", "Transfer-Encoding must end with chunked: without it the body's end is unknown"},
                {"Transfer-Encoding: identity\r\nContent-Length: 0\r\n", "Transfer-Encoding must end with chunked: without it"
                        + " the body's end is unknown"},
                // the codec decoded these as chunked: it judges only whether the last line ends in "chunked"
                {"Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n", "Transfer-Encoding must end with chunked:"
                        + " without it the body's end is unknown"},
                {"Transfer-Encoding: chunked, chunked\r\n", "Transfer-Encoding must name chunked only once"},
                {"Transfer-Encoding: chunked\r\nTransfer-Encoding: CHUNKED\r\n", "Transfer-Encoding must name chunked only once"},
                // refused by the HTTP codec itself (its RFC 9112 check of the last line): the same status and code
                {"Transfer-Encoding: chunked, gzip\r\n", null}};
        for (String[] framing : cases) {
            UpstreamStub.last.set(null);
            String answer = onlyAnswerThenClose("POST /v1/reseller/orders HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer " + key
                    + "\r\nContent-Type: application/json\r\n" + framing[0] + "\r\n" + inner);
            assertTrue(answer.startsWith("HTTP/1.1 400 "), framing[0] + answer);
            assertTrue(answer.toLowerCase().contains("connection: close"), framing[0] + answer);
            assertTrue(answer.contains("\"code\":\"bad_request\""), framing[0] + answer);
            if (framing[1] != null) {
                assertTrue(answer.contains("\"detail\":\"" + framing[1]), framing[0] + answer);
            }
            assertEquals(null, UpstreamStub.last.get(), framing[0] + "nothing was forwarded");
        }
    }

    /**
     * RFC 9112 section 6.1 and RFC 9110 section 15.6.2: a transfer coding the gateway does not implement is 501 naming
     * it, whichever line it came on, and the connection is closed (docs/api.md "Request framing"). New-user review 32,
     * M4: {@code gzip, chunked} was de-chunked and the gzip bytes judged as JSON.
     */
    @Test
    void shouldAnswer501ToATransferCodingItDoesNotImplementAndClose() throws Exception {
        String key = newResellerKey("coding");
        String body = "2\r\n{}\r\n0\r\n\r\n";
        String[][] cases = {
                {"Transfer-Encoding: gzip, chunked\r\n", "gzip"},
                {"Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n", "gzip"},
                {"Transfer-Encoding: ,deflate ,, x-custom, Chunked\r\n", "deflate, x-custom"}};
        for (String[] framing : cases) {
            UpstreamStub.last.set(null);
            String answer = onlyAnswerThenClose("POST /v1/reseller/orders HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer " + key
                    + "\r\nContent-Type: application/json\r\n" + framing[0] + "\r\n" + body
                    + "GET /v1/reseller/products HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer " + key + "\r\n\r\n");
            assertTrue(answer.startsWith("HTTP/1.1 501 Not Implemented\r\n"), framing[0] + answer);
            assertTrue(answer.toLowerCase().contains("connection: close"), framing[0] + answer);
            assertTrue(answer.endsWith("{\"detail\":\"Transfer-Encoding " + framing[1] + " is not supported: send the body"
                    + " with chunked alone, or with Content-Length\",\"code\":\"unsupported_transfer_coding\"}"), framing[0] + answer);
            assertEquals(null, UpstreamStub.last.get(), framing[0] + "nothing was forwarded");
        }
        // chunked alone is read as before
        String answer = exchange("POST /v1/reseller/orders HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer " + key
                + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" + body);
        assertTrue(answer.startsWith("HTTP/1.1 201 "), answer);
        assertEquals("{}", UpstreamStub.last.get().body());
    }

    /**
     * RFC 9112 section 6.1: Transfer-Encoding in an HTTP/1.0 request is faulty framing (400, then close), and so is
     * Content-Length beside it in HTTP/1.1 (section 6.3 item 3 lets a server refuse it). The HTTP codec refuses both
     * first; the answer names the reason instead of "Malformed HTTP request".
     */
    @Test
    void shouldRefuseTransferEncodingInHttp10AndContentLengthBesideItNamingWhy() throws Exception {
        String answer = onlyAnswerThenClose("POST /v1/reseller/orders HTTP/1.0\r\nAuthorization: Bearer rv_x\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n");
        assertTrue(answer.startsWith("HTTP/1.0 400 "), answer);
        assertTrue(answer.endsWith("{\"detail\":\"Transfer-Encoding is not allowed in an HTTP/1.0 request\","
                + "\"code\":\"bad_request\"}"), answer);
        answer = onlyAnswerThenClose("POST /v1/reseller/orders HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer rv_x\r\n"
                + "Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n");
        assertTrue(answer.startsWith("HTTP/1.1 400 "), answer);
        assertTrue(answer.endsWith("{\"detail\":\"Content-Length must not be sent beside Transfer-Encoding\","
                + "\"code\":\"bad_request\"}"), answer);
    }

    /**
     * RFC 9110 section 15.6.6 (docs/api.md "Request framing"): a request line naming any HTTP version but 1.0 and 1.1 is
     * 505 with the error body, in HTTP/1.1 whatever version it named, then the connection is closed; the device agent
     * answers the same (HttpProxyHandler). New-user review 32, L1: a bare 501 echoing the client's version.
     */
    @Test
    void shouldAnswerAnyOtherHttpVersionWith505InHttp11AndClose() throws Exception {
        for (String version : new String[] {"HTTP/2.0", "HTTP/1.2", "HTTP/3.0", "HTTP/0.9"}) {
            String answer = onlyAnswerThenClose("GET /v1/reseller/balance " + version + "\r\nHost: a\r\n\r\n");
            assertTrue(answer.startsWith("HTTP/1.1 505 HTTP Version Not Supported\r\n"), version + ": " + answer);
            assertTrue(answer.toLowerCase().contains("connection: close"), version + ": " + answer);
            assertTrue(answer.toLowerCase().contains("content-type: application/json"), version + ": " + answer);
            assertTrue(answer.endsWith("{\"detail\":\"Only HTTP/1.0 and HTTP/1.1 are served\","
                    + "\"code\":\"http_version_not_supported\"}"), version + ": " + answer);
        }
        // HTTP/2 with prior knowledge (RFC 9113 section 3.4): its preface reads as a request line of version 2.0
        assertTrue(onlyAnswerThenClose("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").startsWith("HTTP/1.1 505 "));
        // the version names the request's framing, so it is judged before the framing is (no 400 for this one)
        assertTrue(onlyAnswerThenClose("POST /v1/reseller/orders HTTP/2.0\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n")
                .startsWith("HTTP/1.1 505 "));
        // RFC 9112 section 2.3: "HTTP" is case-sensitive and each number one digit, so these are no version at all
        for (String version : new String[] {"http/1.1", "HTTP/01.1"}) {
            String answer = onlyAnswerThenClose("GET /v1/reseller/balance " + version + "\r\nHost: a\r\n\r\n");
            assertTrue(answer.startsWith("HTTP/1.1 400 ") && answer.contains("\"code\":\"bad_request\""), version + ": " + answer);
        }
        // the two versions served are served as before
        assertTrue(exchange("GET /v1/reseller/balance HTTP/1.0\r\n\r\n").startsWith("HTTP/1.0 401 "));
        assertTrue(exchange("GET /v1/reseller/balance HTTP/1.1\r\nHost: a\r\n\r\n").startsWith("HTTP/1.1 401 "));
    }

    /**
     * A chunked body the codec cannot decode (invalid chunk size, a bare LF, an oversized size) is 400 with the error
     * body, then close, and nothing is forwarded (new-user review, stop 33, L1: the connection closed without a byte).
     */
    @Test
    void shouldAnswerAMalformedChunkedBodyWith400AndClose() throws Exception {
        String key = newResellerKey("chunks");
        for (String body : new String[] {"zz\r\nabc\r\n0\r\n\r\n", "2\n{}\n0\n\n", "10000000000000002f\r\n{}\r\n0\r\n\r\n",
                "0x2\r\n{}\r\n0\r\n\r\n"}) {
            UpstreamStub.last.set(null);
            String answer = onlyAnswerThenClose("POST /v1/reseller/webhooks HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer " + key
                    + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" + body);
            assertTrue(answer.startsWith("HTTP/1.1 400 "), body + answer);
            assertTrue(answer.toLowerCase().contains("connection: close"), body + answer);
            assertTrue(answer.endsWith("{\"detail\":\"Malformed chunked request body\",\"code\":\"bad_request\"}"), body + answer);
            assertEquals(null, UpstreamStub.last.get(), body + "nothing was forwarded");
        }
        // a request answered before its body was read (no such route: 404) is not answered twice: only closed
        String answer = onlyAnswerThenClose("POST /v1/reseller/nowhere HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer " + key
                + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
        assertTrue(answer.startsWith("HTTP/1.1 404 "), answer);
    }

    /**
     * A chunked body over the limit (64 KiB) is 413 with the error body, then close, on the gateway's own resources as
     * on forwarded routes (new-user review, stop 34: the keys and /v1/admin resources read it up to Quarkus' 1 MiB and
     * answered a bare 413 without a body), and nothing is forwarded; a chunked body of exactly the limit is read.
     */
    @Test
    void shouldAnswerAChunkedBodyOverTheLimitWith413AndCloseOnEveryRoute() throws Exception {
        String key = newResellerKey("big-chunks");
        String over = chunked("{\"name\":\"" + "a".repeat(70_000) + "\"}");
        String[] heads = {
                "POST /v1/admin/resellers HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer " + GatewayTest.operatorToken(),
                "POST /v1/reseller/keys HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer " + key,
                "POST /v1/reseller/webhooks HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer " + key};
        for (String head : heads) {
            UpstreamStub.last.set(null);
            String answer = onlyAnswerThenClose(head + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" + over);
            assertTrue(answer.startsWith("HTTP/1.1 413 "), head + answer);
            assertTrue(answer.toLowerCase().contains("connection: close"), head + answer);
            assertTrue(answer.endsWith("{\"detail\":\"Request body too large: at most 65536 bytes\",\"code\":\"payload_too_large\"}"),
                    head + answer);
            assertEquals(null, UpstreamStub.last.get(), head + ": nothing was forwarded");
        }
        // exactly the limit is a body like any other: the resource judges it (a name of 65,525 characters is too long)
        String atLimit = "{\"name\":\"" + "a".repeat(65_536 - 11) + "\"}";
        assertEquals(65_536, atLimit.length());
        String answer = exchange("POST /v1/admin/resellers HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer " + GatewayTest.operatorToken()
                + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + chunked(atLimit));
        assertTrue(answer.startsWith("HTTP/1.1 422 ") && answer.contains("\"code\":\"validation_failed\""), answer);
    }

    /** {@code body} as a chunked body: chunks of 8,192 bytes and the last chunk. */
    private static String chunked(String body) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < body.length(); i += 8192) {
            String chunk = body.substring(i, Math.min(body.length(), i + 8192));
            out.append(Integer.toHexString(chunk.length())).append("\r\n").append(chunk).append("\r\n");
        }
        return out.append("0\r\n\r\n").toString();
    }

    /** A new reseller's API key, made through the operator API. */
    private static String newResellerKey(String name) throws Exception {
        return given().header("Authorization", "Bearer " + GatewayTest.operatorToken()).contentType("application/json")
                .body(java.util.Map.of("name", name + "-" + System.nanoTime())).post("/v1/admin/resellers")
                .then().statusCode(201).extract().jsonPath().getString("api_key.key");
    }

    /**
     * Sends {@code request} on a fresh connection and reads one answer, which must be the last thing the server sends
     * before it closes: a second answer, or a connection left open, fails the test.
     */
    private String onlyAnswerThenClose(String request) throws IOException {
        try (Socket socket = new Socket("localhost", edge.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
            socket.getOutputStream().flush();
            InputStream in = socket.getInputStream();
            String answer = readResponse(in);
            try {
                int next = in.read();
                assertEquals(-1, next, "nothing after the answer, then close: " + answer + (char) next
                        + new String(in.readNBytes(in.available()), StandardCharsets.UTF_8));
            } catch (SocketTimeoutException e) {
                throw new AssertionError("the connection was left open after: " + answer, e);
            }
            return answer;
        }
    }

    /** One request on a fresh connection; the answer's head and body as text. */
    private String exchange(String request) throws IOException {
        try (Socket socket = new Socket("localhost", edge.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
            socket.getOutputStream().flush();
            return readResponse(socket.getInputStream());
        }
    }

    private static String readResponseHead(InputStream in) throws IOException {
        String response = readResponse(in);
        return response.substring(0, response.indexOf("\r\n\r\n") + 4);
    }

    /** One answer from {@code in}: its head, then its body ({@code Content-Length} bytes). */
    private static String readResponse(InputStream in) throws IOException {
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
        byte[] body = in.readNBytes(contentLength);
        assertEquals(contentLength, body.length);
        return head + new String(body, StandardCharsets.UTF_8);
    }
}
