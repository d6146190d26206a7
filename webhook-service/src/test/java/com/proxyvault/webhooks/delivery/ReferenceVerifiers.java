package com.proxyvault.webhooks.delivery;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the reference verifiers on a real delivery, as separate processes: the seed page's Python and Node
 * functions (verbatim, {@code src/test/resources/verify}) and the {@code standardwebhooks} npm package.
 * The package lives in {@code <repo>/.stack/npm/node_modules} (bin/test installs it; {@code PV_NODE_MODULES}
 * overrides); if it is missing, {@link #nodeModules()} installs it there with npm.
 */
final class ReferenceVerifiers {

    static final String STANDARDWEBHOOKS_VERSION = "1.1.1";
    private static final Path SCRIPTS = Paths.get("target/test-classes/verify").toAbsolutePath();

    private ReferenceVerifiers() {
    }

    /** The seed's {@code verify_signature(body, signature, secret)} in Python. */
    static boolean seedPython(byte[] body, String signature, String secret) throws Exception {
        return run(List.of("python3", SCRIPTS.resolve("seed_verify.py").toString(), write(body).toString(),
                String.valueOf(signature), secret), null);
    }

    /** The seed's {@code verifySignature(body, signature, secret)} in Node. */
    static boolean seedNode(byte[] body, String signature, String secret) throws Exception {
        return run(List.of("node", SCRIPTS.resolve("seed_verify.js").toString(), write(body).toString(),
                String.valueOf(signature), secret), null);
    }

    /** {@code new Webhook(secret).verify(body, headers)} of the npm package {@code standardwebhooks}. */
    static boolean standardWebhooks(byte[] body, Map<String, String> headers, String secret) throws Exception {
        StringBuilder json = new StringBuilder("{");
        headers.forEach((name, value) -> json.append(json.length() > 1 ? "," : "")
                .append('"').append(name).append("\":\"").append(value).append('"'));
        json.append('}');
        Path headerFile = write(json.toString().getBytes(StandardCharsets.UTF_8));
        return run(List.of("node", SCRIPTS.resolve("standardwebhooks_verify.js").toString(), write(body).toString(),
                headerFile.toString(), secret), nodeModules());
    }

    static synchronized Path nodeModules() throws Exception {
        String configured = System.getenv("PV_NODE_MODULES");
        Path modules = configured != null && !configured.isBlank() ? Paths.get(configured)
                : Paths.get("..", ".stack", "npm", "node_modules").toAbsolutePath().normalize();
        if (!Files.isDirectory(modules.resolve("standardwebhooks"))) {
            Path prefix = modules.getParent();
            Files.createDirectories(prefix);
            if (!run(List.of("npm", "install", "--no-audit", "--no-fund", "--prefix", prefix.toString(),
                    "standardwebhooks@" + STANDARDWEBHOOKS_VERSION), null)) {
                throw new IllegalStateException("npm install standardwebhooks into " + prefix + " failed");
            }
        }
        return modules;
    }

    private static Path write(byte[] bytes) throws IOException {
        Path file = Files.createTempFile(Paths.get("target"), "delivery", ".bin");
        Files.write(file, bytes);
        return file;
    }

    private static boolean run(List<String> command, Path nodePath) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(new ArrayList<>(command)).redirectErrorStream(true);
        if (nodePath != null) {
            builder.environment().put("NODE_PATH", nodePath.toString());
        }
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException(command.get(0) + " did not finish");
        }
        System.out.println("[verifier] " + command.get(1).replaceAll(".*/", "") + ": " + output.strip());
        return process.exitValue() == 0;
    }
}
