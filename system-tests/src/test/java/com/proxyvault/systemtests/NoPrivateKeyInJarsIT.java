package com.proxyvault.systemtests;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * No private key is packaged in any jar the build makes: every module's jars (test-jars included) and
 * everything under each application's {@code target/quarkus-app}. Dev keys live in {@code bin/dev-keys}
 * and reach the local stack through the environment.
 *
 * <p>Our own jars may not contain a PEM private-key armor line anywhere, classes included. Third-party
 * jars may not carry a private key as a resource (a PEM block or a key-store file); their classes are
 * not read, because some (Netty's OpenSsl self-test, for one) carry throwaway keys as constants.
 */
class NoPrivateKeyInJarsIT {

    private static final String ARMOR = "PRIVATE KEY-----";
    private static final Pattern PEM_PRIVATE_KEY = Pattern.compile(
            "-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----\\s*(?:[^\\n]*:[^\\n]*\\n\\s*)*(?:[A-Za-z0-9+/=]{40,}\\s*){3,}");
    private static final Pattern KEY_STORE_NAME = Pattern.compile(".*\\.(p12|pfx|jks|jceks|keystore|key|pk8)$");

    @Test
    void shouldPackageNoPrivateKeyInAnyJar() throws IOException {
        Path repo = BuiltJars.repository();
        List<Path> jars = new ArrayList<>();
        try (Stream<Path> modules = Files.list(repo)) {
            for (Path module : modules.filter(m -> Files.isRegularFile(m.resolve("pom.xml"))).toList()) {
                Path target = module.resolve("target");
                if (Files.isDirectory(target)) {
                    try (Stream<Path> found = Files.walk(target)) {
                        found.filter(p -> p.getFileName().toString().endsWith(".jar") && Files.isRegularFile(p)).forEach(jars::add);
                    }
                }
            }
        }
        for (String application : BuiltJars.APPLICATIONS) {
            BuiltJars.runner(application); // fails when an application was not built: nothing to check then
        }

        List<String> found = new ArrayList<>();
        Set<String> thirdPartySeen = new HashSet<>(); // the same dependency sits in every application's lib/
        for (Path jar : jars) {
            boolean ours = isOurs(repo.relativize(jar));
            if (!ours && !thirdPartySeen.add(jar.getFileName() + ":" + Files.size(jar))) {
                continue;
            }
            scan(jar, ours, repo, found);
        }
        assertTrue(found.isEmpty(), "private keys packaged in jars (a key file deleted from src/ stays in target/classes"
                + " until ./mvnw clean):\n  " + String.join("\n  ", found));
    }

    /** A jar of ours: one a module builds, the application jar, or one of our modules as a dependency. */
    private static boolean isOurs(Path relative) {
        String path = relative.toString().replace('\\', '/');
        String name = relative.getFileName().toString();
        return relative.getNameCount() == 3 // <module>/target/<name>.jar, test-jars included
                || path.contains("/quarkus-app/app/")
                || name.startsWith("com.proxyvault.");
    }

    private static void scan(Path jar, boolean ours, Path repo, List<String> found) throws IOException {
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            Enumeration<? extends ZipEntry> entries = zip.entries();
            while (entries.hasMoreElements()) {
                ZipEntry entry = entries.nextElement();
                String name = entry.getName();
                if (entry.isDirectory()) {
                    continue;
                }
                String where = repo.relativize(jar) + "!/" + name;
                if (KEY_STORE_NAME.matcher(name.toLowerCase(Locale.ROOT)).matches()) {
                    found.add(where + " (a key file)");
                    continue;
                }
                if (!ours && name.endsWith(".class")) {
                    continue;
                }
                String content;
                try (InputStream in = zip.getInputStream(entry)) {
                    content = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
                }
                if (ours ? content.contains(ARMOR) : PEM_PRIVATE_KEY.matcher(content).find()) {
                    found.add(where);
                }
            }
        }
    }
}
