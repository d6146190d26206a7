package com.proxyvault.systemtests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static com.proxyvault.systemtests.Gen.weight;
import static com.proxyvault.systemtests.StackApi.abbreviate;
import static com.proxyvault.systemtests.StackApi.read;
import static com.proxyvault.systemtests.StackApi.reseller;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

/**
 * Generated malformed input for every endpoint, public and operator, through the gateway of the
 * running stack: broken JSON, wrong types and bad values in each field, control characters, huge
 * strings, money and path ids in every odd form, bad paging, wrong Content-Type. Every answer must be a
 * 4xx with docs/api.md's error body ({@code detail} and {@code code} strings), never a 5xx; after each
 * property the dedicated reseller's balance, orders, keys, webhooks and proxies are exactly as before.
 *
 * <p>Each property is a {@link TestFactory}: its tries are drawn from {@link Gen}s with one seed, fixed
 * and printed, so a run is repeatable ({@code -Dproxyvault.fuzz.seed=...} replays or varies one), and
 * each try is a dynamic test named by its request, so a failure names its request in full and the other
 * tries still run. The property's last dynamic test is the "nothing written" check. Tries are bounded
 * (about 320 requests) so a run takes well under a minute. The reseller holds several keys and the tries
 * take turns with them, because one key may make only 60 requests a minute.
 */
// The snapshot test must run after the property's requests, so the tries run one after another.
@Execution(ExecutionMode.SAME_THREAD)
class GeneratedInputIT {

    /** The system property that replaces the default seed, to replay a failed run or try other inputs. */
    static final String SEED_PROPERTY = "proxyvault.fuzz.seed";
    /** Every property starts from it; a bad number fails the run rather than silently using the default. */
    private static final long SEED = Long.parseLong(System.getProperty(SEED_PROPERTY, "20260525").trim());
    private static final int KEYS_TO_ROTATE = 12;

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private static String gateway;
    private static StackApi.Reseller owner;
    /** Keys the tries take turns with; the owner's first key (setup) and the snapshot's key are not among them. */
    private static final List<String> keys = new ArrayList<>();
    private static String snapshotKey;
    private static final AtomicInteger turn = new AtomicInteger();
    private static long pendingOrderId;
    private static long proxyId;
    private static long webhookId;
    /** A live key of the owner that no request uses, for the malformed ids of DELETE /keys/{id}. */
    private static long spareKeyId;
    private static Snapshot before;

    /** One generated request and what the contract says it must get. */
    record Call(String method, String path, boolean operator, String contentType, byte[] body,
                Integer expectedStatus, String expectedCode) {

        /** The request as a test name and in failures; raw control characters made visible (and XML-safe for reports). */
        @Override
        public String toString() {
            String text = body == null ? "" : " " + abbreviate(new String(body, StandardCharsets.UTF_8));
            return printable(method + " " + path + (contentType == null ? "" : " [" + contentType + "]") + text);
        }
    }

    /** A body-taking endpoint: its path (ids filled in) and a valid body, field by field, as raw JSON. */
    record BodyEndpoint(String method, String path, boolean operator, Map<String, Field> fields) {

        String validBody() {
            return body(Map.of());
        }

        /** The valid body with some fields replaced by raw JSON (null value: the field left out). */
        String body(Map<String, String> replaced) {
            StringBuilder json = new StringBuilder("{");
            fields.forEach((name, field) -> {
                String raw = replaced.containsKey(name) ? replaced.get(name) : field.valid().get();
                if (raw != null) {
                    json.append(json.length() > 1 ? "," : "").append('"').append(name).append("\":").append(raw);
                }
            });
            return json.append('}').toString();
        }
    }

    record Field(Supplier<String> valid, Kind kind) {
    }

    /** What a field holds, and so which wrong values it can be sent. */
    enum Kind {
        ID, NAME, MONEY, REFERENCE, LOCATION, MODE, FINGERPRINT, URL, EVENTS
    }

    private static List<BodyEndpoint> bodyEndpoints;
    private static List<IdEndpoint> idEndpoints;

    /** An endpoint with an id in its path: method, path with {@code {id}}, and the real id of the owner's object. */
    record IdEndpoint(String method, String template, long id) {
    }

    @BeforeAll
    static void createTheDedicatedReseller() {
        // printed first, so that even a run whose setup fails says how to replay it
        System.out.println("GeneratedInputIT: seed " + SEED + " (replay with -D" + SEED_PROPERTY + "=" + SEED + ")");
        StackApi.useGateway();
        gateway = System.getProperty("proxyvault.gateway.url", "http://localhost:8080");
        owner = StackApi.newReseller("30.00");
        proxyId = StackApi.buyActiveProxy(owner).get("id").asLong(); // balance 20.00
        pendingOrderId = StackApi.createOrder(owner, 1);
        webhookId = reseller(owner.key()).contentType("application/json")
                .body("{\"url\":\"https://localhost/generated-input\",\"events\":\"*\"}").post("/v1/reseller/webhooks")
                .then().statusCode(201).extract().jsonPath().getLong("id");
        snapshotKey = reseller(owner.key()).contentType("application/json").body("{\"name\":\"snapshots\"}")
                .post("/v1/reseller/keys").then().statusCode(201).extract().jsonPath().getString("key");
        for (int i = 1; i <= KEYS_TO_ROTATE; i++) {
            keys.add(reseller(owner.key()).contentType("application/json").body("{\"name\":\"rotation-" + i + "\"}")
                    .post("/v1/reseller/keys").then().statusCode(201).extract().jsonPath().getString("key"));
        }
        spareKeyId = reseller(owner.key()).contentType("application/json").body("{\"name\":\"spare\"}")
                .post("/v1/reseller/keys").then().statusCode(201).extract().jsonPath().getLong("id");

        String proxy = "/v1/reseller/proxies/" + proxyId;
        Supplier<String> unique = () -> "\"st-generated-" + UUID.randomUUID() + "\"";
        bodyEndpoints = List.of(
                new BodyEndpoint("POST", "/v1/reseller/keys", false, fields("name", new Field(unique, Kind.NAME))),
                new BodyEndpoint("POST", "/v1/reseller/orders", false, fields(
                        "product_id", new Field(() -> "1", Kind.ID), "pricing_id", new Field(() -> "1", Kind.ID))),
                new BodyEndpoint("POST", proxy + "/connect", false, fields("location_id", new Field(() -> "\"NYC\"", Kind.LOCATION))),
                new BodyEndpoint("POST", proxy + "/reset", false, fields("mode", new Field(() -> "\"fast\"", Kind.MODE))),
                new BodyEndpoint("POST", proxy + "/fingerprint", false, fields("fingerprint", new Field(() -> "\"linux\"", Kind.FINGERPRINT))),
                new BodyEndpoint("POST", "/v1/reseller/webhooks", false, fields(
                        "url", new Field(() -> "\"https://localhost/generated-input\"", Kind.URL),
                        "events", new Field(() -> "\"*\"", Kind.EVENTS))),
                new BodyEndpoint("POST", "/v1/admin/resellers", true, fields("name", new Field(unique, Kind.NAME))),
                new BodyEndpoint("POST", "/v1/admin/resellers/" + owner.id() + "/topups", true, fields(
                        "amount", new Field(() -> "\"1.00\"", Kind.MONEY), "reference", new Field(unique, Kind.REFERENCE))));
        // the real id of the owner's object is what the malformed forms spell
        idEndpoints = List.of(
                new IdEndpoint("DELETE", "/v1/reseller/keys/{id}", spareKeyId),
                new IdEndpoint("GET", "/v1/reseller/orders/{id}", pendingOrderId),
                new IdEndpoint("POST", "/v1/reseller/orders/{id}/pay", pendingOrderId),
                new IdEndpoint("GET", "/v1/reseller/proxies/{id}", proxyId),
                new IdEndpoint("GET", "/v1/reseller/proxies/{id}/locations", proxyId),
                new IdEndpoint("POST", "/v1/reseller/proxies/{id}/connect", proxyId),
                new IdEndpoint("POST", "/v1/reseller/proxies/{id}/disconnect", proxyId),
                new IdEndpoint("POST", "/v1/reseller/proxies/{id}/reset", proxyId),
                new IdEndpoint("POST", "/v1/reseller/proxies/{id}/fingerprint", proxyId),
                new IdEndpoint("DELETE", "/v1/reseller/webhooks/{id}", webhookId),
                new IdEndpoint("GET", "/v1/reseller/webhooks/{id}/deliveries", webhookId),
                new IdEndpoint("POST", "/v1/admin/resellers/{id}/topups", owner.id()));
        before = Snapshot.take();
    }

    @AfterAll
    static void freeTheModem() {
        if (owner != null) {
            reseller(owner.key()).post("/v1/reseller/proxies/" + proxyId + "/disconnect");
        }
    }

    /** Nothing a refused request did may show: a change fails the property that caused it. */
    private static void shouldHaveWrittenNothing() {
        Snapshot after = Snapshot.take();
        if (!after.equals(before)) {
            Snapshot was = before;
            before = after; // the next property is judged on its own requests
            throw new AssertionError("refused requests changed the reseller's data (seed " + SEED + ")\nbefore: " + was
                    + "\nafter:  " + after);
        }
    }

    /**
     * The property's tries as dynamic tests, one request each, then the check that they wrote nothing. The
     * calls are drawn before any is sent, from a generator of its own seeded with {@link #SEED}, so a
     * property run alone gets the same requests as in a full run.
     */
    private static List<DynamicTest> tries(int count, Gen<Call> calls) {
        List<DynamicTest> tests = new ArrayList<>();
        int number = 0;
        for (Call call : calls.sample(new Random(SEED), count)) {
            String name = "try " + ++number + " of " + count + ": " + call;
            tests.add(dynamicTest(name, () -> send(call, name)));
        }
        tests.add(dynamicTest("shouldHaveWrittenNothing", GeneratedInputIT::shouldHaveWrittenNothing));
        return tests;
    }

    // ---------------------------------------------------------------- the properties

    @TestFactory
    List<DynamicTest> shouldRefuseMalformedJsonWith400() {
        return tries(70, malformedJson());
    }

    @TestFactory
    List<DynamicTest> shouldRefuseEveryWrongFieldWith422() {
        return tries(120, wrongFields());
    }

    @TestFactory
    List<DynamicTest> shouldAnswer404ForEveryMalformedPathId() {
        return tries(60, malformedIds());
    }

    @TestFactory
    List<DynamicTest> shouldRefuseBadPagingAndStatusWith422() {
        return tries(40, badQueries());
    }

    @TestFactory
    List<DynamicTest> shouldRefuseBodiesThatAreNotJson() {
        return tries(30, wrongContentTypes());
    }

    // ---------------------------------------------------------------- generators

    private static Gen<Call> malformedJson() {
        return Gen.of(bodyEndpoints).flatMap(endpoint -> {
            String valid = endpoint.validBody();
            byte[] utf8 = valid.getBytes(StandardCharsets.UTF_8);
            Gen<byte[]> truncated = Gen.between(1, utf8.length - 1)
                    .map(cut -> java.util.Arrays.copyOf(utf8, cut));
            Gen<byte[]> trailing = Gen.of("x", "}", "{}", ",", "]", "\"", "null", "1", "{\"a\":1}", "\u0000", "//")
                    .map(garbage -> (valid + garbage).getBytes(StandardCharsets.UTF_8));
            // A raw (unescaped) control character inside a string is not JSON (RFC 8259, section 7).
            Gen<byte[]> rawControl = Gen.between('\u0000', '\u001f')
                    .map(c -> endpoint.body(Map.of(firstStringField(endpoint), "\"a" + c + "b\"")).getBytes(StandardCharsets.UTF_8));
            Gen<byte[]> invalidUtf8 = Gen.of(new byte[]{(byte) 0xC3, 0x28}, new byte[]{(byte) 0xFF},
                            new byte[]{(byte) 0xED, (byte) 0xA0, (byte) 0x80}, new byte[]{(byte) 0xC0, (byte) 0xAF})
                    .map(bad -> splice(endpoint.body(Map.of(firstStringField(endpoint), "\"a@b\"")), "a@b", bad));
            Gen<byte[]> notJson = Gen.of("{'name':'x'}", "{name: 1}", "{\"a\":1,}", "{\"a\" 1}", "{/*c*/}",
                            "[", "{", "\"unterminated", "tru", "{\"a\":01}", "{\"a\":.5}", "{\"a\":NaN}", "{\"a\":-}")
                    .map(text -> text.getBytes(StandardCharsets.UTF_8));
            return Gen.oneOf(truncated, trailing, rawControl, invalidUtf8, notJson)
                    .map(body -> new Call(endpoint.method(), endpoint.path(), endpoint.operator(), "application/json", body,
                            400, "malformed_json"));
        });
    }

    private static Gen<Call> wrongFields() {
        return Gen.of(bodyEndpoints).flatMap(endpoint -> {
            List<String> names = new ArrayList<>(endpoint.fields().keySet());
            Gen<String> wrongValue = Gen.of(names).flatMap(name ->
                    badValues(endpoint.fields().get(name).kind()).map(raw -> endpoint.body(Map.of(name, raw))));
            Gen<String> missing = Gen.of(names).map(name -> {
                Map<String, String> without = new LinkedHashMap<>();
                without.put(name, null);
                return endpoint.body(without);
            });
            Gen<String> unknownField = Gen.of("\"extra\":1", "\"id\":1", "\"reseller_id\":1", "\"balance\":\"9.00\"", "\"\":null")
                    .map(extra -> endpoint.validBody().replaceFirst("\\{", "{" + extra + ","));
            Gen<String> notAnObject = Gen.of("[]", "null", "1", "\"text\"", "true", "[" + endpoint.validBody() + "]");
            return Gen.frequency(weight(6, wrongValue), weight(1, missing), weight(2, unknownField), weight(1, notAnObject))
                    .map(body -> new Call(endpoint.method(), endpoint.path(), endpoint.operator(), "application/json",
                            body.getBytes(StandardCharsets.UTF_8), 422, "validation_failed"));
        });
    }

    private static Gen<Call> malformedIds() {
        return Gen.of(idEndpoints).flatMap(endpoint -> idForms(endpoint.id()).map(id -> {
            String path = endpoint.template().replace("{id}", id);
            boolean operator = path.startsWith("/v1/admin");
            String body = switch (endpoint.template().substring(endpoint.template().lastIndexOf('/') + 1)) {
                // valid bodies, so that the id is the only thing wrong
                case "connect" -> "{\"location_id\":\"NYC\"}";
                case "reset" -> "{\"mode\":\"fast\"}";
                case "fingerprint" -> "{\"fingerprint\":\"macos\"}";
                case "topups" -> "{\"amount\":\"1.00\",\"reference\":\"st-generated-" + UUID.randomUUID() + "\"}";
                default -> null;
            };
            return new Call(endpoint.method(), path, operator, body == null ? null : "application/json",
                    body == null ? null : body.getBytes(StandardCharsets.UTF_8), 404, "not_found");
        }));
    }

    /**
     * Spellings of a real id that are not the id: leading zeros and signs, exponents and fractions, other
     * digits, overflow, blanks. Each spells this reseller's own id, so a lenient parser shows (it finds the
     * object) without touching anyone else's. Percent-encoding the plain digits spells the same URI (RFC
     * 3986, section 6.2.2.2), so the encoded forms here encode a malformed id.
     */
    private static Gen<String> idForms(long id) {
        String n = Long.toString(id);
        return Gen.of("0" + n, "00" + n, "+" + n, "%2B" + n, "-" + n, "-0", n + "e0", n + "E0", n + ".0", n + "%20",
                "%20" + n, "%30" + n, "0x" + Long.toHexString(id), n + "L", n + "_", "99999999999999999999",
                "9223372036854775808", "-9223372036854775809", "0", otherDigits(n, '\u0660'), otherDigits(n, '\u06F0'),
                otherDigits(n, '\u0966'), otherDigits(n, '\uFF10'), n + "," + n);
    }

    private static Gen<Call> badQueries() {
        Gen<String> badLimit = Gen.of("0", "-1", "101", "1000", "abc", "1.5", "1e1", "99999999999999999999",
                "0x10", encode("\u0665"), "NaN");
        Gen<String> badOffset = Gen.of("-1", "abc", "1.5", "1e1", "99999999999999999999", "0x10", encode("\u0661"), "NaN");
        Gen<String> badStatus = Gen.of("lost", "PAID", "paid%20", "pending", "paid,active", "*");
        Gen<String> orderQueries = Gen.oneOf(
                badLimit.map(v -> "limit=" + v), badOffset.map(v -> "offset=" + v), badStatus.map(v -> "status=" + v),
                badLimit.map(v -> "status=paid&limit=" + v), badOffset.map(v -> "limit=10&offset=" + v));
        Gen<String> deliveryQueries = Gen.oneOf(
                badLimit.map(v -> "limit=" + v), badOffset.map(v -> "offset=" + v), badOffset.map(v -> "limit=5&offset=" + v));
        return Gen.oneOf(
                orderQueries.map(q -> new Call("GET", "/v1/reseller/orders?" + q, false, null, null, 422, "validation_failed")),
                deliveryQueries.map(q -> new Call("GET", "/v1/reseller/webhooks/" + webhookId + "/deliveries?" + q, false,
                        null, null, 422, "validation_failed")));
    }

    private static Gen<Call> wrongContentTypes() {
        return Gen.of(bodyEndpoints).flatMap(endpoint -> Gen.of("text/plain", "application/x-www-form-urlencoded",
                        "application/xml", "multipart/form-data; boundary=x", "application/jsonx", "text/json")
                .map(type -> new Call(endpoint.method(), endpoint.path(), endpoint.operator(), type,
                        endpoint.validBody().getBytes(StandardCharsets.UTF_8), 415, "unsupported_media_type")));
    }

    /** Values a field of this kind must refuse, as raw JSON: wrong types, out of range, bad forms. */
    private static Gen<String> badValues(Kind kind) {
        Gen<String> wrongTypes = Gen.of("null", "true", "false", "[]", "{}", "[1]", "{\"a\":1}");
        Gen<String> controlled = Gen.of('\u0000', '\u0001', '\u0007', '\u0008', '\u000b', '\u000c', '\u001b', '\u001f', '\u007f')
                .map(c -> "\"ok" + escape(c) + "ok\"");
        Gen<String> huge = Gen.of(101, 1_000, 70_000, 300_000).map(length -> "\"" + "x".repeat(length) + "\"");
        Gen<String> specific = switch (kind) {
            case ID -> Gen.of("\"1\"", "1.0", "1.5", "1e0", "-1", "0", "99999999999999999999", "9223372036854775808",
                    "-9223372036854775809", "1e400", "\"one\"", "\"\"");
            case MONEY -> Gen.of("\"1e3\"", "\"-1\"", "\"-0.01\"", "\"0.00\"", "\"1.234\"", "\" 5\"", "\"5 \"", "5", "5.5",
                    "\"0x10\"", "\"NaN\"", "\"Infinity\"", "\"1,00\"", "\"\"", "\"+5\"", "\"" + digits("5", '\u0660') + "\"",
                    "\"1000000000000000.00\"", "\"5.\"", "\"USD 5\"");
            case NAME, REFERENCE -> Gen.of("\"\"", "\"   \"", "1", "1.5");
            case LOCATION -> Gen.of("\"\"", "\"ZZZ\"", "\"NYC\\u0000\"", "1", "\"LAX,NYC\"");
            case MODE -> Gen.of("\"\"", "\"fastest\"", "\"fast or hard\"", "\"soft\"", "1", "\"fast\\u0000\"");
            case FINGERPRINT -> Gen.of("\"\"", "\"android\"", "\"none | linux | macos | windows\"", "\"linux\\u0000\"", "1");
            case URL -> Gen.of("\"\"", "\"example\"", "\"http://example.com/hook\"", "\"ftp://localhost/x\"",
                    "\"https://\"", "\"javascript:alert(1)\"", "\"https://user:pw@localhost/x\"", "\"https://localhost/\\u0000\"",
                    "\"https://localhost:0/x\"", "\"https://localhost:70000/x\"", "1");
            case EVENTS -> Gen.of("\"\"", "\"example\"", "\"order.created\"", "\"order.paid;proxy.expired\"",
                    "\"*\\u0000\"", "1", "[\"order.paid\"]");
        };
        return Gen.frequency(weight(3, specific), weight(2, wrongTypes), weight(2, controlled), weight(1, huge));
    }

    // ---------------------------------------------------------------- sending and judging

    /** Sends the call and judges the answer; the seed and the try's number head every failure. */
    private static void send(Call call, String name) {
        HttpRequest.BodyPublisher body = call.body() == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofByteArray(call.body());
        String token = call.operator() ? OperatorToken.sign() : keys.get(Math.floorMod(turn.getAndIncrement(), keys.size()));
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(gateway + call.path()))
                .timeout(Duration.ofSeconds(20))
                .header("Authorization", "Bearer " + token)
                .method(call.method(), body);
        if (call.contentType() != null) {
            request.header("Content-Type", call.contentType());
        }
        HttpResponse<String> response;
        try {
            response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (Exception e) {
            throw new AssertionError("[seed " + SEED + "] " + name + ": no answer", e);
        }
        int status = response.statusCode();
        String context = "[seed " + SEED + ", " + name.substring(0, name.indexOf(':')) + "] " + call + " answered " + status;
        if (status < 400 || status >= 500) {
            throw new AssertionError(context + " (expected a 4xx): " + abbreviate(response.body()));
        }
        String code = StackApi.assertErrorBody(context, response.headers().firstValue("Content-Type").orElse(null), response.body());
        // 413 for a body over the limit is as right as the field's 422: the size is what is wrong then.
        boolean tooLarge = status == 413 && "payload_too_large".equals(code);
        if (call.expectedStatus() != null && !tooLarge && (status != call.expectedStatus() || !call.expectedCode().equals(code))) {
            throw new AssertionError(context + " " + code + " (expected " + call.expectedStatus() + " " + call.expectedCode()
                    + "): " + abbreviate(response.body()));
        }
    }

    /** What the owner has, as the API shows it; last_used_at is left out, since using keys moves it. */
    record Snapshot(String balance, JsonNode orders, JsonNode keys, JsonNode webhooks, JsonNode proxies) {

        static Snapshot take() {
            String key = snapshotKey;
            JsonNode keyList = read(reseller(key).get("/v1/reseller/keys").then().statusCode(200).extract().asString()).get("keys");
            for (JsonNode listed : keyList) {
                ((ObjectNode) listed).remove("last_used_at");
            }
            return new Snapshot(
                    read(reseller(key).get("/v1/reseller/balance").then().statusCode(200).extract().asString()).get("balance").asText(),
                    read(reseller(key).queryParam("limit", 100).get("/v1/reseller/orders").then().statusCode(200).extract().asString()),
                    keyList,
                    read(reseller(key).get("/v1/reseller/webhooks").then().statusCode(200).extract().asString()),
                    read(reseller(key).get("/v1/reseller/proxies").then().statusCode(200).extract().asString()));
        }
    }

    // ---------------------------------------------------------------- small helpers

    private static Map<String, Field> fields(Object... namesAndFields) {
        Map<String, Field> fields = new LinkedHashMap<>();
        for (int i = 0; i < namesAndFields.length; i += 2) {
            fields.put((String) namesAndFields[i], (Field) namesAndFields[i + 1]);
        }
        return fields;
    }

    private static String firstStringField(BodyEndpoint endpoint) {
        return endpoint.fields().entrySet().stream().filter(e -> e.getValue().kind() != Kind.ID).map(Map.Entry::getKey)
                .findFirst().orElse("product_id");
    }

    /** The body's bytes with {@code marker} replaced by raw bytes. */
    private static byte[] splice(String body, String marker, byte[] bytes) {
        int at = body.indexOf(marker);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(body.substring(0, at).getBytes(StandardCharsets.UTF_8));
        out.writeBytes(bytes);
        out.writeBytes(body.substring(at + marker.length()).getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    /** The same number in another script's digits (given its zero), percent-encoded for a path. */
    private static String otherDigits(String ascii, char zero) {
        return encode(digits(ascii, zero));
    }

    private static String digits(String ascii, char zero) {
        StringBuilder digits = new StringBuilder();
        for (char c : ascii.toCharArray()) {
            digits.append(c >= '0' && c <= '9' ? (char) (zero + (c - '0')) : c);
        }
        return digits.toString();
    }

    private static String encode(String text) {
        return java.net.URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String escape(char c) {
        return String.format("\\u%04x", (int) c);
    }

    /**
     * The text with each raw control character shown as {@code <U+0006>}: not as a JSON escape, which a
     * body may hold legitimately, so a raw character and an escaped one still read differently.
     */
    private static String printable(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (char c : text.toCharArray()) {
            out.append(Character.isISOControl(c) ? String.format("<U+%04X>", (int) c) : String.valueOf(c));
        }
        return out.toString();
    }
}
