package com.proxyvault.platform.http;

import jakarta.ws.rs.HttpMethod;
import jakarta.ws.rs.Path;

import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;

/**
 * The operations a JAX-RS resource class declares, read from its annotations: what {@link AllowedMethods}
 * answers a 405 from, and what the gateway's {@code OpenApiRoutesTest} holds the OpenAPI document to.
 */
public final class ResourceRoutes {

    /** One resource method: its HTTP method ({@code GET}) and its path template ({@code /v1/x/{id}}). */
    public record Operation(String method, String template) {
    }

    private ResourceRoutes() {
    }

    /**
     * Every public resource method of {@code type} (one with an HTTP method annotation such as {@code @GET}),
     * its template the class's {@code @Path} joined with the method's, slashes collapsed, no trailing slash; an
     * empty list when {@code type} has no {@code @Path}. Sub-resource locators (a {@code @Path} method without
     * an HTTP method) are not followed: this project has none.
     */
    public static List<Operation> of(Class<?> type) {
        Path root = type.getAnnotation(Path.class);
        List<Operation> operations = new ArrayList<>();
        if (root == null) {
            return operations;
        }
        for (Method method : type.getMethods()) {
            String verb = verb(method);
            if (verb != null) {
                Path sub = method.getAnnotation(Path.class);
                operations.add(new Operation(verb, join(root.value(), sub == null ? "" : sub.value())));
            }
        }
        return operations;
    }

    private static String verb(Method method) {
        for (Annotation annotation : method.getAnnotations()) {
            HttpMethod verb = annotation.annotationType().getAnnotation(HttpMethod.class);
            if (verb != null) {
                return verb.value();
            }
        }
        return null;
    }

    static String join(String root, String sub) {
        String path = ("/" + root + "/" + sub).replaceAll("/+", "/");
        return path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    }
}
