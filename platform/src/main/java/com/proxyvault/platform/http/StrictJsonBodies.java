package com.proxyvault.platform.http;

import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.core.JsonProcessingException;
import jakarta.annotation.Priority;
import jakarta.ws.rs.ConstrainedTo;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.RuntimeType;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.ext.Provider;
import jakarta.ws.rs.ext.ReaderInterceptor;
import jakarta.ws.rs.ext.ReaderInterceptorContext;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Set;

/**
 * The reader-side hook of {@link StrictJson}, in every service that indexes this jar: a JSON request body
 * bound to a Java type is read once into memory (bounded by {@code quarkus.http.limits.max-body-size}),
 * judged for syntax first ({@link StrictJson#scan}: 400 {@code malformed_json} before any type error can
 * answer 422), then bound with the strict mapper ({@link StrictJson#strictCopy}: 422 naming the field).
 * Bodies taken raw ({@code byte[]}, {@code String}, streams: the gateway's forwarding) pass untouched; the
 * service behind judges them. Server side only: REST-client answers stay tolerant.
 */
@Provider
@ConstrainedTo(RuntimeType.SERVER)
@Priority(Priorities.ENTITY_CODER)
public class StrictJsonBodies implements ReaderInterceptor {

    private static final Set<Class<?>> RAW = Set.of(byte[].class, String.class, InputStream.class, Object.class,
            char[].class, java.io.Reader.class);

    private final ObjectMapper strict;

    public StrictJsonBodies(ObjectMapper mapper) {
        this.strict = StrictJson.strictCopy(mapper);
    }

    @Override
    public Object aroundReadFrom(ReaderInterceptorContext context) throws IOException {
        if (!isJson(context.getMediaType()) || RAW.contains(context.getType())
                || context.getType().getName().startsWith("io.vertx.")) {
            return context.proceed();
        }
        byte[] body = context.getInputStream().readAllBytes();
        StrictJson.scan(strict.getFactory(), body);
        if (isBlank(body)) {
            // No body: let the resource say which fields it needs (it receives null, as before).
            context.setInputStream(new ByteArrayInputStream(body));
            return context.proceed();
        }
        JavaType type = strict.getTypeFactory().constructType(context.getGenericType());
        try {
            return strict.readerFor(type).readValue(body);
        } catch (JsonProcessingException e) {
            throw StrictJson.problem(e);
        }
    }

    private static boolean isJson(MediaType type) {
        return type != null && ("json".equalsIgnoreCase(type.getSubtype())
                || type.getSubtype().toLowerCase().endsWith("+json"));
    }

    private static boolean isBlank(byte[] body) {
        for (byte b : body) {
            if (b != ' ' && b != '\t' && b != '\r' && b != '\n') {
                return false;
            }
        }
        return true;
    }
}
