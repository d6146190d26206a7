package com.proxyvault.gateway.console;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import jakarta.inject.Singleton;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The reseller console ({@code /}) and the operator console ({@code /admin}): static pages, one stylesheet
 * and small JavaScript modules from {@code console/} on the class path, served by the public port
 * (docs/console.md). The set of files is fixed here, so no request path ever names a class-path resource.
 * Every answer carries a strict Content-Security-Policy (only this origin's scripts, styles and API; no
 * inline script, no framing), {@code Referrer-Policy: no-referrer} and {@code X-Content-Type-Options}.
 * The pages hold no secret: the key or operator token lives in the tab's {@code sessionStorage}.
 */
@Singleton
public class ConsolePages {

    /** What the pages may do: this origin only; the SVG chart's attributes need no inline style. */
    static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; "
            + "img-src 'self' data:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

    private record Asset(String resource, String contentType) {
    }

    /** Request path → file under {@code console/}. */
    private static final Map<String, Asset> ASSETS = Map.ofEntries(
            Map.entry("/", new Asset("index.html", "text/html; charset=utf-8")),
            Map.entry("/admin", new Asset("admin.html", "text/html; charset=utf-8")),
            Map.entry("/console/console.css", new Asset("console.css", "text/css; charset=utf-8")),
            Map.entry("/console/api.js", new Asset("api.js", "text/javascript; charset=utf-8")),
            Map.entry("/console/reseller.js", new Asset("reseller.js", "text/javascript; charset=utf-8")),
            Map.entry("/console/admin.js", new Asset("admin.js", "text/javascript; charset=utf-8")));

    private final Map<String, Buffer> contents = new ConcurrentHashMap<>();

    /**
     * Answers {@code request} when it is a GET or HEAD of one of the console's paths (the file, with the
     * headers above) and returns true; returns false, having answered nothing, for any other request or
     * when the build carries no such file (the caller's 404).
     */
    public boolean answer(HttpServerRequest request) {
        if (request.method() != HttpMethod.GET && request.method() != HttpMethod.HEAD) {
            return false;
        }
        Asset asset = ASSETS.get(request.path());
        Buffer body = asset == null ? null : contents.computeIfAbsent(asset.resource(), ConsolePages::load);
        if (body == null || body.length() == 0) {
            return false;
        }
        HttpServerResponse response = request.response();
        response.putHeader(HttpHeaders.CONTENT_TYPE, asset.contentType())
                .putHeader("Content-Security-Policy", CONTENT_SECURITY_POLICY)
                .putHeader("X-Content-Type-Options", "nosniff")
                .putHeader("Referrer-Policy", "no-referrer")
                // Revalidated on every load, so a new gateway version never runs half old scripts.
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache")
                .putHeader(HttpHeaders.CONTENT_LENGTH, Integer.toString(body.length()));
        if (request.method() == HttpMethod.HEAD) {
            response.end();
        } else {
            response.end(body);
        }
        return true;
    }

    /** The file's bytes; an empty buffer (answered as 404) when the class path has no such file. */
    private static Buffer load(String resource) {
        try (InputStream in = ConsolePages.class.getClassLoader().getResourceAsStream("console/" + resource)) {
            return in == null ? Buffer.buffer() : Buffer.buffer(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
