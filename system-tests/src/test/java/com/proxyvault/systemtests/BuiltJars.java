package com.proxyvault.systemtests;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Where the build put the modules' jars: the checkout the system tests run from. */
final class BuiltJars {

    /** The Quarkus applications, each started with {@code java -jar <module>/target/quarkus-app/quarkus-run.jar}. */
    static final List<String> APPLICATIONS = List.of("api-gateway", "billing-service", "order-service",
            "proxy-fleet-service", "webhook-service", "device-agent");

    private BuiltJars() {
    }

    static Path repository() {
        Path repo = Path.of(System.getProperty("proxyvault.repo", "..")).toAbsolutePath().normalize();
        if (!Files.isRegularFile(repo.resolve("pom.xml")) || !Files.isDirectory(repo.resolve("bin"))) {
            throw new IllegalStateException(repo + " is not the ProxyVault checkout (set -Dproxyvault.repo)");
        }
        return repo;
    }

    static Path runner(String application) {
        Path jar = repository().resolve(application).resolve("target/quarkus-app/quarkus-run.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: build first (./mvnw -B -DskipTests install)");
        }
        return jar;
    }
}
