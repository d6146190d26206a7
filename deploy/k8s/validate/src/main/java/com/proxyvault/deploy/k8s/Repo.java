package com.proxyvault.deploy.k8s;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** Where the validator's inputs live in the repository. */
public final class Repo {

    /** The five services deploy/k8s runs (DESIGN.md); each is a module with its application.properties. */
    public static final List<String> SERVICES =
            List.of("api-gateway", "billing-service", "order-service", "proxy-fleet-service", "webhook-service");

    /** A row of docs/deploy.md's "What is external" table: | `name` | Secret | ... */
    private static final Pattern EXTERNAL_ROW = Pattern.compile("^\\|\\s*`([a-z0-9.-]+)`\\s*\\|\\s*(Secret|ConfigMap|ServiceAccount)\\s*\\|");

    private final Path root;

    public Repo(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    /** The working directory when it is the repository root (Maven's surefire runs tests there). */
    public static Repo locate() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isDirectory(dir.resolve("deploy/k8s/overlays"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("no deploy/k8s/overlays above " + Path.of("").toAbsolutePath());
        }
        return new Repo(dir);
    }

    public Path root() {
        return root;
    }

    public Map<String, ServiceConfig> services() {
        var map = new LinkedHashMap<String, ServiceConfig>();
        SERVICES.forEach(s -> map.put(s, ServiceConfig.read(root, s)));
        return map;
    }

    /** Kind/name of the objects docs/deploy.md documents as created outside these manifests. */
    public Set<String> external() {
        var set = new TreeSet<String>();
        try (Stream<String> lines = Files.lines(root.resolve("docs/deploy.md"))) {
            lines.map(EXTERNAL_ROW::matcher).filter(java.util.regex.Matcher::find)
                    .forEach(m -> set.add(m.group(2) + "/" + m.group(1)));
        } catch (IOException e) {
            throw new UncheckedIOException("docs/deploy.md lists what is external: " + e.getMessage(), e);
        }
        return set;
    }

    public List<Path> overlays() {
        try (Stream<Path> dirs = Files.list(root.resolve("deploy/k8s/overlays"))) {
            return dirs.filter(d -> Files.isRegularFile(d.resolve("kustomization.yaml"))).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
