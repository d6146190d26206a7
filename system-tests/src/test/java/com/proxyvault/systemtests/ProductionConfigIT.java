package com.proxyvault.systemtests;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Production fails closed: each application, started the way production starts it ({@code java -jar},
 * profile prod) with none of its secrets in the environment, refuses to start and names every missing
 * variable. Needs the built jars only, not the running stack.
 */
class ProductionConfigIT {

    private static final List<String> DATABASE = List.of("DB_USER", "DB_PASSWORD");

    /** The variables each application must not start without (secrets, and for the agent its whole identity). */
    private static final Map<String, List<String>> SECRETS = Map.of(
            "api-gateway", with(DATABASE, "INTERNAL_JWT_PRIVATE_KEY_LOCATION", "OPERATOR_JWT_PUBLIC_KEY_LOCATION"),
            "billing-service", with(DATABASE, "INTERNAL_JWT_PUBLIC_KEY_LOCATION"),
            "order-service", with(DATABASE, "INTERNAL_JWT_PUBLIC_KEY_LOCATION"),
            "proxy-fleet-service", with(DATABASE, "INTERNAL_JWT_PUBLIC_KEY_LOCATION", "FLEET_AGENT_TOKENS"),
            "webhook-service", with(DATABASE, "INTERNAL_JWT_PUBLIC_KEY_LOCATION"),
            // and the agent's local-stack settings, which exist only in %dev/%test: without them a production agent
            // would run six simulated modems as agent-local-1 against a loopback fleet (device-agent ProductionDefaultsTest)
            "device-agent", List.of("AGENT_TOKEN", "AGENT_ID", "AGENT_PUBLIC_HOST", "AGENT_MODEMS", "AGENT_MODEM_DRIVER",
                    "FLEET_GRPC_HOST"));

    @Test
    void shouldRefuseToStartInProductionWithoutItsSecrets() throws Exception {
        Path work = Files.createDirectories(Path.of("target", "production-config-it").toAbsolutePath());
        Map<String, Process> started = new LinkedHashMap<>();
        Map<String, Path> outputs = new LinkedHashMap<>();
        try {
            for (String application : BuiltJars.APPLICATIONS) { // all at once: a few seconds each
                Path dir = Files.createDirectories(work.resolve(application));
                Path output = dir.resolve("output.log");
                ProcessBuilder builder = new ProcessBuilder(java(), "-Xmx128m", "-Djava.io.tmpdir=" + dir,
                        "-jar", BuiltJars.runner(application).toString())
                        .directory(dir.toFile()) // no .env or config/ of the checkout
                        .redirectErrorStream(true)
                        .redirectOutput(output.toFile());
                builder.environment().clear(); // as bare as a container without its secrets
                builder.environment().put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
                builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
                started.put(application, builder.start());
                outputs.put(application, output);
            }
            List<Executable> checks = new ArrayList<>();
            for (Map.Entry<String, Process> entry : started.entrySet()) {
                String application = entry.getKey();
                Process process = entry.getValue();
                if (!process.waitFor(90, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    fail(application + " still runs 90 s after a start without its secrets:\n" + read(outputs.get(application)));
                }
                String output = read(outputs.get(application));
                checks.add(() -> assertNotEquals(0, process.exitValue(), application + " exited with 0:\n" + output));
                for (String variable : SECRETS.get(application)) {
                    checks.add(() -> assertTrue(output.contains("Could not expand value " + variable + " "),
                            application + " must name the missing " + variable + ":\n" + output));
                }
            }
            assertAll(checks);
        } finally {
            started.values().forEach(Process::destroyForcibly);
        }
    }

    /**
     * The Kubernetes manifests give the fleet its agent tokens as a properties file named in
     * {@code QUARKUS_CONFIG_LOCATIONS}, not as an environment variable (docs/fleet.md "Many agents"):
     * started that way, still without its other secrets, the fleet must find {@code FLEET_AGENT_TOKENS}
     * in the file and name only what is really missing.
     */
    @Test
    void shouldReadTheAgentTokensFromAPropertiesFileInProduction() throws Exception {
        Path dir = Files.createDirectories(Path.of("target", "production-config-it", "fleet-tokens-file").toAbsolutePath());
        Path tokens = dir.resolve("agent-tokens.properties");
        Files.writeString(tokens, "FLEET_AGENT_TOKENS=farm-0001=" + "a".repeat(48) + ",farm-0002=" + "b".repeat(48) + "\n");
        Path output = dir.resolve("output.log");
        ProcessBuilder builder = new ProcessBuilder(java(), "-Xmx128m", "-Djava.io.tmpdir=" + dir,
                "-jar", BuiltJars.runner("proxy-fleet-service").toString())
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(output.toFile());
        builder.environment().clear();
        builder.environment().put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        builder.environment().put("QUARKUS_CONFIG_LOCATIONS", "file:" + tokens);
        Process process = builder.start();
        try {
            if (!process.waitFor(90, TimeUnit.SECONDS)) {
                fail("proxy-fleet-service still runs 90 s after a start without its database secrets:\n" + read(output));
            }
            String log = read(output);
            assertAll(
                    () -> assertTrue(log.contains("Could not expand value DB_USER "), "must still name DB_USER:\n" + log),
                    () -> assertFalse(log.contains("Could not expand value FLEET_AGENT_TOKENS"),
                            "FLEET_AGENT_TOKENS is in the file QUARKUS_CONFIG_LOCATIONS names:\n" + log));
        } finally {
            process.destroyForcibly();
        }
    }

    private static List<String> with(List<String> first, String... more) {
        List<String> all = new ArrayList<>(first);
        all.addAll(List.of(more));
        return List.copyOf(all);
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static String read(Path output) throws IOException {
        return Files.readString(output);
    }
}
