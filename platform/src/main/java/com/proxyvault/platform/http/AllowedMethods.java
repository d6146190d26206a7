package com.proxyvault.platform.http;

import io.quarkus.arc.Arc;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.spi.Bean;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The {@code Allow} header of a 405 (RFC 9110 §15.5.6): Quarkus REST throws its 405 without one, so the
 * methods declared for the request path are looked up here, from the {@code @Path} templates of the
 * application's resource classes (read once, on the first 405). {@code HEAD} and {@code OPTIONS} are
 * added as Quarkus REST answers them for any {@code GET} path.
 */
final class AllowedMethods {

    private record Route(Pattern path, String method) {
    }

    private static volatile List<Route> routes;

    private AllowedMethods() {
    }

    /** {@code "GET, HEAD, OPTIONS"} for {@code path} (the decoded request path), or null if nothing matches. */
    static String forPath(String path) {
        Set<String> methods = new TreeSet<>();
        String normalized = path.startsWith("/") ? path : "/" + path;
        for (Route route : routes()) {
            if (route.path().matcher(normalized).matches()) {
                methods.add(route.method());
            }
        }
        if (methods.isEmpty()) {
            return null;
        }
        if (methods.contains("GET")) {
            methods.add("HEAD");
        }
        methods.add("OPTIONS");
        return String.join(", ", methods);
    }

    private static List<Route> routes() {
        List<Route> known = routes;
        if (known == null) {
            known = new ArrayList<>();
            for (Bean<?> bean : Arc.container().beanManager().getBeans(Object.class, Any.Literal.INSTANCE)) {
                for (ResourceRoutes.Operation operation : ResourceRoutes.of(bean.getBeanClass())) {
                    known.add(new Route(toRegex(operation.template()), operation.method()));
                }
            }
            routes = known;
        }
        return known;
    }

    /** {@code /a/{id}/b/{rest: .+}} → {@code /a/[^/]+/b/(?:.+)}, slashes collapsed, no trailing slash. */
    static Pattern toRegex(String template) {
        StringBuilder regex = new StringBuilder();
        StringBuilder literal = new StringBuilder();
        String path = ("/" + template).replaceAll("/+", "/");
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c != '{') {
                literal.append(c);
                continue;
            }
            regex.append(Pattern.quote(literal.toString()));
            literal.setLength(0);
            int depth = 1;
            int start = i + 1;
            while (depth > 0 && ++i < path.length()) {
                depth += path.charAt(i) == '{' ? 1 : path.charAt(i) == '}' ? -1 : 0;
            }
            String parameter = path.substring(start, Math.min(i, path.length()));
            int colon = parameter.indexOf(':');
            regex.append(colon < 0 ? "[^/]+" : "(?:" + parameter.substring(colon + 1).trim() + ")");
        }
        String tail = literal.toString();
        if (tail.endsWith("/") && (regex.length() > 0 || tail.length() > 1)) {
            tail = tail.substring(0, tail.length() - 1);
        }
        regex.append(Pattern.quote(tail)).append("/?");
        return Pattern.compile(regex.toString());
    }
}
