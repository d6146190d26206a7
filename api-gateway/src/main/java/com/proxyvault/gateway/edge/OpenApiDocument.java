package com.proxyvault.gateway.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import jakarta.inject.Singleton;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * The public API's OpenAPI 3 document, written by hand in {@code META-INF/openapi.yaml} (the same file
 * SmallRye OpenAPI serves, with scanning off, as {@code /q/openapi} and in Swagger UI on the management
 * port), served as JSON at {@code GET /openapi.json} on the public port. Converted once, at first use.
 */
@Singleton
public class OpenApiDocument {

    static final String LOCATION = "META-INF/openapi.yaml";

    private volatile Buffer json;

    /** Answers 200 with the document, or 404 when the build carries none. */
    public void send(HttpServerResponse response) {
        Buffer document = document();
        if (document == null) {
            ErrorResponses.notFound(response);
            return;
        }
        response.putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .putHeader(HttpHeaders.CONTENT_LENGTH, Integer.toString(document.length()))
                .end(document);
    }

    private Buffer document() {
        Buffer document = json;
        if (document == null) {
            try (InputStream yaml = Thread.currentThread().getContextClassLoader().getResourceAsStream(LOCATION)) {
                if (yaml == null) {
                    return null;
                }
                JsonNode tree = new ObjectMapper(new YAMLFactory()).readTree(yaml);
                document = Buffer.buffer(new ObjectMapper().writeValueAsBytes(tree));
                json = document;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return document;
    }
}
