package com.proxyvault.gateway.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.proxyvault.gateway.forwarding.Upstreams;
import com.proxyvault.platform.http.ResourceRoutes;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The public OpenAPI document ({@code META-INF/openapi.yaml}, served as {@code /openapi.json}) against what the
 * public port really routes (docs/api.md "The OpenAPI document"), without a server, so an endpoint added without
 * its OpenAPI entry (or an entry left after its endpoint went) fails the build:
 * <ul>
 *   <li>{@code /v1/admin/*} and {@code /v1/reseller/keys*} reach the gateway's own JAX-RS resources
 *       ({@link EdgeRequests}): their operations, read from the compiled classes, are exactly the document's
 *       there;</li>
 *   <li>every other {@code /v1/reseller/<segment>} is forwarded by its first segment ({@link Upstreams#OWNERS}):
 *       the document's segments are exactly those, and every documented route is tagged in the request metrics
 *       by its own pattern ({@code quarkus.micrometer.binder.http-server.match-patterns}, the gateway's list of
 *       the forwarded routes), and every pattern names a documented route.</li>
 * </ul>
 * That each service's forwarded resources are exactly the document's is checked where all modules are built:
 * system-tests' {@code OpenApiDocumentTest}.
 */
class OpenApiRoutesTest {

    private static final Set<String> HTTP_METHODS = Set.of("get", "put", "post", "delete", "patch", "head", "options", "trace");
    private static final Pattern TEMPLATE = Pattern.compile("\\{[^}]*}");
    private static final String OTHER = "/v1/reseller/{other}";

    private static Path classes;
    private static JsonNode document;

    @BeforeAll
    static void read() throws Exception {
        classes = Path.of(OpenApiDocument.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        try (InputStream yaml = Files.newInputStream(classes.resolve(OpenApiDocument.LOCATION))) {
            document = new ObjectMapper(new YAMLFactory()).readTree(yaml);
        }
    }

    @Test
    void shouldDescribeExactlyTheOperationsOfTheGatewaysOwnResources() throws Exception {
        Set<String> served = resourceOperations();
        // Guards against a scan that finds nothing: the equality below would then only compare empty sets.
        assertTrue(served.contains("POST /v1/admin/agents/{}/modems/{}/drain") && served.contains("DELETE /v1/reseller/keys/{}"),
                "the gateway's resources as found: " + served);
        Set<String> documented = documentedOperations().stream().filter(OpenApiRoutesTest::servedByTheGateway)
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(served, documented, "operations of the gateway's resources (left) and of openapi.yaml (right)");
    }

    @Test
    void shouldDescribeEveryForwardedPrefixAndNoOther() {
        Set<String> segments = new TreeSet<>();
        for (String operation : documentedOperations()) {
            String path = operation.substring(operation.indexOf(' ') + 1);
            assertTrue(path.startsWith("/v1/reseller/") || path.startsWith("/v1/admin/"),
                    operation + ": the public port routes only /v1/reseller/* and /v1/admin/* (and the consoles)");
            if (path.startsWith("/v1/reseller/") && !servedByTheGateway(operation)) {
                segments.add(path.split("/")[3]);
            }
        }
        assertEquals(new TreeSet<>(Upstreams.OWNERS.keySet()), segments);
    }

    @Test
    void shouldTagEveryDocumentedResellerRouteByItsOwnMetricPattern() throws IOException {
        Map<Pattern, String> patterns = metricPatterns();
        Set<String> named = new TreeSet<>();
        for (String path : documentedPaths()) {
            if (!path.startsWith("/v1/reseller/")) {
                continue;
            }
            String concrete = TEMPLATE.matcher(path).replaceAll("918273");
            List<String> uris = new ArrayList<>();
            patterns.forEach((pattern, uri) -> {
                if (pattern.matcher(concrete).matches()) {
                    uris.add(uri);
                }
            });
            if (TEMPLATE.matcher(path).find()) {
                // An id in the path: one pattern must fold every id into one series (docs/operations.md section 5)
                assertEquals(List.of(TEMPLATE.matcher(path).replaceAll("{id}")), uris, path + " in match-patterns");
                named.add(uris.get(0));
            } else {
                assertEquals(List.of(), uris, path + " is its own uri, so no pattern (and not " + OTHER + ") may take it");
            }
        }
        Set<String> targets = new TreeSet<>(patterns.values());
        targets.remove(OTHER);
        assertEquals(targets, named, "every match-pattern names a documented route");
    }

    /** What {@link EdgeRequests} hands to Quarkus' router rather than forwarding. */
    private static boolean servedByTheGateway(String operation) {
        String path = operation.substring(operation.indexOf(' ') + 1);
        return path.startsWith("/v1/admin/") || path.equals("/v1/reseller/keys") || path.startsWith("/v1/reseller/keys/");
    }

    private static Set<String> documentedPaths() {
        Set<String> paths = new TreeSet<>();
        document.get("paths").fieldNames().forEachRemaining(paths::add);
        return paths;
    }

    /** Every operation of the document as "METHOD /path", path parameters as {}. */
    private static Set<String> documentedOperations() {
        Set<String> operations = new TreeSet<>();
        document.get("paths").fields().forEachRemaining(path -> path.getValue().fieldNames().forEachRemaining(method -> {
            if (HTTP_METHODS.contains(method)) {
                operations.add(method.toUpperCase() + " " + template(path.getKey()));
            }
        }));
        return operations;
    }

    /**
     * Every resource method of every JAX-RS resource class of the gateway (a class with {@code @Path}; the REST
     * clients are interfaces), as "METHOD /path", from the compiled classes, read as platform's
     * {@link ResourceRoutes} reads them for the {@code Allow} of a 405.
     */
    private static Set<String> resourceOperations() throws IOException, ClassNotFoundException {
        Set<String> operations = new TreeSet<>();
        List<Path> files;
        try (Stream<Path> walk = Files.walk(classes)) {
            files = walk.filter(file -> file.toString().endsWith(".class")).toList();
        }
        for (Path file : files) {
            String name = classes.relativize(file).toString().replace(file.getFileSystem().getSeparator(), ".");
            Class<?> type = Class.forName(name.substring(0, name.length() - ".class".length()), false,
                    OpenApiRoutesTest.class.getClassLoader());
            if (!type.isInterface()) {
                ResourceRoutes.of(type).forEach(operation ->
                        operations.add(operation.method() + " " + template(operation.template())));
            }
        }
        return operations;
    }

    private static String template(String path) {
        return TEMPLATE.matcher(path).replaceAll("{}");
    }

    /**
     * The gateway's {@code quarkus.micrometer.binder.http-server.match-patterns}: regular expression → uri tag,
     * read as Quarkus reads them (a comma-separated list of {@code regex=uri}).
     */
    private static Map<Pattern, String> metricPatterns() throws IOException {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(classes.resolve("application.properties"))) {
            properties.load(reader);
        }
        String value = properties.getProperty("quarkus.micrometer.binder.http-server.match-patterns");
        assertNotNull(value, "match-patterns in application.properties");
        Map<Pattern, String> patterns = new java.util.LinkedHashMap<>();
        for (String entry : value.split(",")) {
            int equals = entry.indexOf('=');
            patterns.put(Pattern.compile(entry.substring(0, equals).strip()), entry.substring(equals + 1).strip());
        }
        return patterns;
    }
}
