package com.proxyvault.systemtests;

import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.parameters.Parameter;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.security.SecurityScheme;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The gateway's OpenAPI document (api-gateway/src/main/resources/META-INF/openapi.yaml), checked
 * without a running stack: a valid OpenAPI 3 document that describes exactly the seed's operations,
 * with docs/api.md's error body, the bearer scheme, the 429 with Retry-After and Idempotency-Key where
 * the gateway honours it, and exactly the operations the public port reaches in the compiled modules. OpenApiIT
 * checks that the gateway serves this document as written.
 */
class OpenApiDocumentTest {

    /** Tests run in the module directory. */
    static final Path DOCUMENT = Path.of("..", "api-gateway", "src", "main", "resources", "META-INF", "openapi.yaml");
    private static final Path SHARED_SEED = Path.of("..", "..", "shared", "seeds", SeedContract.RESOURCE);
    /** The modules whose resources the gateway's public port reaches (itself, and the services it forwards to). */
    private static final List<String> PUBLIC_MODULES = List.of("api-gateway", "billing-service", "order-service",
            "proxy-fleet-service", "webhook-service");
    private static final Set<String> IDEMPOTENT = Set.of("POST /v1/reseller/orders", "POST /v1/reseller/orders/{}/pay",
            "POST /v1/reseller/webhooks", "POST /v1/reseller/keys");

    private static OpenAPI api;

    @BeforeAll
    static void parse() throws Exception {
        api = parse(Files.readString(DOCUMENT), "openapi.yaml");
    }

    /** {@code text} as OpenAPI, $refs inlined (so checks see every response as served); fails on any problem. */
    static OpenAPI parse(String text, String what) {
        ParseOptions options = new ParseOptions();
        options.setResolve(true);
        options.setResolveFully(true);
        SwaggerParseResult result = new OpenAPIV3Parser().readContents(text, null, options);
        assertTrue(result.getMessages() == null || result.getMessages().isEmpty(), what + " has problems: " + result.getMessages());
        assertNotNull(result.getOpenAPI(), what + " parses");
        return result.getOpenAPI();
    }

    /** Every operation as "METHOD /path" (ids as {}), under the given prefix. */
    static Map<String, Operation> operations(OpenAPI api, String prefix) {
        Map<String, Operation> operations = new TreeMap<>();
        api.getPaths().forEach((path, item) -> {
            if (path.startsWith(prefix)) {
                item.readOperationsMap().forEach((method, operation) ->
                        operations.put(method.name() + " " + SeedContract.template(path), operation));
            }
        });
        return operations;
    }

    @Test
    void shouldBeAnOpenApi3Document() {
        assertTrue(api.getOpenapi().startsWith("3."), "OpenAPI 3, not " + api.getOpenapi());
        assertNotNull(api.getInfo().getTitle());
    }

    @Test
    void shouldReadAllTwentyOperationsFromTheSeed() {
        // Guards the parser below: a seed read wrongly would make the equality checks vacuous.
        assertEquals(20, SeedContract.operations().size(), "the seed's operations: " + SeedContract.operations());
    }

    @Test
    void shouldDescribeExactlyTheSeedsResellerOperations() {
        assertEquals(SeedContract.publicOperations(), operations(api, "/v1/reseller").keySet());
        assertTrue(java.util.Collections.disjoint(SeedContract.EXTENSIONS, SeedContract.operations()), "extensions are not seed operations");
    }

    @Test
    void shouldKeepOperatorEndpointsUnderAdminWithTheirOwnTagAndScheme() {
        Map<String, Operation> admin = operations(api, "/v1/admin");
        assertEquals(Set.of("POST /v1/admin/resellers", "POST /v1/admin/resellers/{}/topups",
                "POST /v1/admin/resellers/{}/adjustments",
                // the operator console's (docs/console.md)
                "GET /v1/admin/resellers", "GET /v1/admin/resellers/{}/keys", "POST /v1/admin/resellers/{}/keys",
                "DELETE /v1/admin/resellers/{}/keys/{}", "GET /v1/admin/resellers/{}/balance",
                "GET /v1/admin/resellers/{}/transactions", "GET /v1/admin/resellers/{}", "PATCH /v1/admin/resellers/{}",
                // the catalog (docs/operations.md "The catalog")
                "GET /v1/admin/products", "POST /v1/admin/products", "GET /v1/admin/products/{}",
                "PATCH /v1/admin/products/{}", "POST /v1/admin/products/{}/pricing", "PATCH /v1/admin/pricing/{}",
                // the fleet (docs/fleet.md) and parked events (docs/operations.md "6. Dead letters")
                "GET /v1/admin/agents", "GET /v1/admin/modems", "GET /v1/admin/locations", "POST /v1/admin/locations",
                "PATCH /v1/admin/locations/{}", "DELETE /v1/admin/locations/{}",
                "DELETE /v1/admin/agents/{}/modems/{}", "PATCH /v1/admin/agents/{}/modems/{}", "POST /v1/admin/agents/{}/modems/{}/drain",
                "POST /v1/admin/agents/{}/modems/{}/undrain", "GET /v1/admin/services/{}/dead-letters",
                "POST /v1/admin/services/{}/dead-letters/{}/replay"),
                admin.keySet());
        admin.values().forEach(operation -> {
            assertEquals(List.of("Operators"), operation.getTags());
            assertEquals("operatorJwt", operation.getSecurity().get(0).keySet().iterator().next());
        });
        operations(api, "/v1/reseller").values().forEach(operation ->
                assertTrue(operation.getTags().stream().noneMatch("Operators"::equals), operation.getOperationId()));
    }

    /**
     * What the public port reaches, read from the compiled modules: the gateway's own resources (/v1/admin,
     * /v1/reseller/keys) and the services' /v1/reseller resources it forwards to. Their operations are exactly
     * the document's, so an endpoint added to a service without its OpenAPI entry fails the build (the gateway's
     * own OpenApiRoutesTest holds its half without the other modules).
     */
    @Test
    void shouldDescribeExactlyTheOperationsThePublicPortReaches() throws Exception {
        Set<String> served = new TreeSet<>();
        for (String module : PUBLIC_MODULES) {
            Path classes = Path.of("..", module, "target", "classes");
            assertTrue(Files.isDirectory(classes), classes + " is missing: build the modules first (./mvnw install builds them"
                    + " before system-tests)");
            served.addAll(JaxRsOperations.under(classes, "/v1/"));
        }
        assertTrue(served.contains("POST /v1/reseller/orders/{}/pay"), "the resources as found: " + served);
        assertEquals(served, operations(api, "/v1/").keySet(), "operations served (left) and described in openapi.yaml (right)");
    }

    @Test
    void shouldAuthenticateResellersWithABearerKey() {
        SecurityScheme scheme = api.getComponents().getSecuritySchemes().get("apiKey");
        assertEquals(SecurityScheme.Type.HTTP, scheme.getType());
        assertEquals("bearer", scheme.getScheme());
        assertEquals("apiKey", api.getSecurity().get(0).keySet().iterator().next(), "the default for every operation");
    }

    @Test
    void shouldAnswerEveryResellerErrorWithDetailAndCodeAnd429WithRetryAfter() {
        Schema<?> error = api.getComponents().getSchemas().get("Error");
        assertEquals(Set.of("detail", "code"), new TreeSet<>(error.getRequired()));
        assertEquals("string", error.getProperties().get("detail").getType());
        assertEquals("string", error.getProperties().get("code").getType());
        operations(api, "/v1/reseller").forEach((name, operation) -> {
            assertTrue(operation.getResponses().containsKey("401"), name + " documents 401");
            ApiResponse tooMany = operation.getResponses().get("429");
            assertNotNull(tooMany, name + " documents 429");
            assertNotNull(tooMany.getHeaders().get("Retry-After"), name + ": 429 carries Retry-After");
            operation.getResponses().forEach((status, response) -> {
                if (status.startsWith("4") || status.startsWith("5")) {
                    Schema<?> body = response.getContent().get("application/json").getSchema();
                    assertEquals(Set.of("detail", "code"), new TreeSet<>(body.getRequired()),
                            name + " " + status + " answers the error body");
                }
            });
        });
    }

    /**
     * The error body's {@code code} enum is exactly the codes of docs/api.md's error table: a client generated from the
     * document knows every code the API answers (it lacked eleven, among them {@code reset_cooldown} and the
     * {@code *_in_progress} codes; review stop 32).
     */
    @Test
    void shouldListExactlyTheDocumentedErrorCodesInTheErrorSchema() throws Exception {
        String doc = Files.readString(Path.of("..", "docs", "api.md"));
        int table = doc.indexOf("| status | code | when |");
        assertTrue(table >= 0, "docs/api.md has the error table");
        Set<String> documented = new TreeSet<>();
        for (String row : doc.substring(table, doc.indexOf("\n\n", table)).lines().skip(2).toList()) {
            java.util.regex.Matcher code = java.util.regex.Pattern.compile("`([a-z_0-9]+)`").matcher(row.split("\\|")[2]);
            while (code.find()) {
                documented.add(code.group(1));
            }
        }
        Schema<?> error = api.getComponents().getSchemas().get("Error");
        Set<String> listed = new TreeSet<>();
        error.getProperties().get("code").getEnum().forEach(value -> listed.add(String.valueOf(value)));
        assertEquals(documented, listed);
    }

    @Test
    void shouldOfferIdempotencyKeyOnExactlyTheFourPostsThatHonourIt() {
        Set<String> withKey = new TreeSet<>();
        operations(api, "/v1/").forEach((name, operation) -> {
            List<Parameter> parameters = operation.getParameters() == null ? List.of() : operation.getParameters();
            if (parameters.stream().anyMatch(p -> "Idempotency-Key".equals(p.getName()) && "header".equals(p.getIn()))) {
                withKey.add(name);
            }
        });
        assertEquals(new TreeSet<>(IDEMPOTENT), withKey);
    }

    @Test
    void shouldDocumentPagingAndTheStatusFilter() {
        Map<String, Operation> operations = operations(api, "/v1/reseller");
        Map<String, Parameter> orders = byName(operations.get("GET /v1/reseller/orders"));
        assertEquals(Set.of("status", "limit", "offset"), orders.keySet());
        assertEquals(List.of("pending_payment", "paid", "provisioning", "active", "expired", "failed", "cancelled"),
                orders.get("status").getSchema().getEnum());
        Map<String, Parameter> deliveries = byName(operations.get("GET /v1/reseller/webhooks/{}/deliveries"));
        assertTrue(deliveries.keySet().containsAll(Set.of("limit", "offset")), "deliveries page: " + deliveries.keySet());
        // the operator's fleet lists (docs/fleet.md "Operator API")
        Map<String, Operation> admin = operations(api, "/v1/admin");
        Map<String, Parameter> agents = byName(admin.get("GET /v1/admin/agents"));
        assertEquals(Set.of("connected", "limit", "offset"), agents.keySet());
        Map<String, Parameter> modems = byName(admin.get("GET /v1/admin/modems"));
        assertEquals(Set.of("agent_id", "location_id", "limit", "offset"), modems.keySet());
        for (Map<String, Parameter> paged : List.of(orders, deliveries, agents, modems)) {
            Schema<?> limit = paged.get("limit").getSchema();
            assertEquals(1, limit.getMinimum().intValue());
            assertEquals(100, limit.getMaximum().intValue());
            assertEquals(50, ((Number) limit.getDefault()).intValue());
            assertEquals(0, paged.get("offset").getSchema().getMinimum().intValue());
        }
    }

    @Test
    void shouldKeepTheCommittedSeedEqualToTheSharedSeed() throws Exception {
        // CI runs on a clean clone: the tests read the committed copy, which must not drift from the seed.
        assumeTrue(Files.exists(SHARED_SEED), "no shared seed beside this checkout");
        assertEquals(Files.readString(SHARED_SEED), SeedContract.text(),
                "system-tests/src/test/resources/" + SeedContract.RESOURCE + " must equal ../shared/seeds/" + SeedContract.RESOURCE);
    }

    private static Map<String, Parameter> byName(Operation operation) {
        Map<String, Parameter> parameters = new TreeMap<>();
        for (Parameter parameter : operation.getParameters()) {
            if ("query".equals(parameter.getIn())) {
                parameters.put(parameter.getName(), parameter);
            }
        }
        return parameters;
    }
}
