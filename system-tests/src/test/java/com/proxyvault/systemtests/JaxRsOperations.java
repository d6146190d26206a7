package com.proxyvault.systemtests;

import org.jboss.jandex.AnnotationInstance;
import org.jboss.jandex.AnnotationTarget;
import org.jboss.jandex.ClassInfo;
import org.jboss.jandex.DotName;
import org.jboss.jandex.Index;
import org.jboss.jandex.Indexer;
import org.jboss.jandex.MethodInfo;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The JAX-RS operations of a module's compiled classes, read with Jandex (no class is loaded, so none of the
 * module's dependencies is needed): every resource method of every class annotated {@code @Path} (REST clients,
 * which are interfaces, excluded), as "METHOD /path" with path parameters as {@code {}}, the form
 * {@link SeedContract#template} gives.
 */
final class JaxRsOperations {

    private static final DotName PATH = DotName.createSimple("jakarta.ws.rs.Path");
    private static final List<String> METHODS = List.of("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS");

    private JaxRsOperations() {
    }

    /** The operations whose path starts with {@code prefix}, of the classes under {@code classes}. */
    static Set<String> under(Path classes, String prefix) throws IOException {
        Indexer indexer = new Indexer();
        List<Path> files;
        try (Stream<Path> walk = Files.walk(classes)) {
            files = walk.filter(file -> file.toString().endsWith(".class")).toList();
        }
        for (Path file : files) {
            try (InputStream in = Files.newInputStream(file)) {
                indexer.index(in);
            }
        }
        Index index = indexer.complete();
        Set<String> operations = new TreeSet<>();
        for (AnnotationInstance root : index.getAnnotations(PATH)) {
            if (root.target().kind() != AnnotationTarget.Kind.CLASS) {
                continue;
            }
            ClassInfo type = root.target().asClass();
            if (type.isInterface()) {
                continue;
            }
            for (MethodInfo method : type.methods()) {
                AnnotationInstance sub = method.declaredAnnotation(PATH);
                String verb = METHODS.stream().filter(m -> method.hasDeclaredAnnotation(DotName.createSimple("jakarta.ws.rs." + m)))
                        .findFirst().orElse(null);
                if (verb == null) {
                    if (sub != null) {
                        throw new IllegalStateException(type.name() + "." + method.name()
                                + " is a sub-resource locator, which this reading cannot follow");
                    }
                    continue;
                }
                String path = join(root.value().asString(), sub == null ? "" : sub.value().asString());
                if (path.startsWith(prefix)) {
                    operations.add(verb + " " + SeedContract.template(path));
                }
            }
        }
        return operations;
    }

    private static String join(String root, String sub) {
        String path = ("/" + root + "/" + sub).replaceAll("/+", "/");
        return path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    }
}
