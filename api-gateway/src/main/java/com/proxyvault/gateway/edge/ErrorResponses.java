package com.proxyvault.gateway.edge;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;

/**
 * Writes the one error body of the public API, {@code {"detail": "...", "code": "..."}}
 * (docs/api.md, "Error body and codes"), straight onto a Vert.x response: for what the edge answers
 * before any resource runs (limits, authentication, rate limit, unknown routes).
 */
public final class ErrorResponses {

    private ErrorResponses() {
    }

    /** The JSON body for {@code detail} and {@code code}, escaped by Vert.x' JSON codec. */
    public static Buffer body(String detail, String code) {
        return new JsonObject().put("detail", detail).put("code", code).toBuffer();
    }

    /**
     * Ends {@code response} with {@code status} and the error body; a no-op if it already ended, a reset
     * if its head was already written. The future completes when the bytes are written.
     */
    public static Future<Void> send(HttpServerResponse response, int status, String code, String detail) {
        if (response.ended() || response.closed()) {
            return Future.succeededFuture();
        }
        if (response.headWritten()) {
            response.reset();
            return Future.succeededFuture();
        }
        Buffer body = body(detail, code);
        return response.setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .putHeader(HttpHeaders.CONTENT_LENGTH, Integer.toString(body.length()))
                .end(body);
    }

    public static void unauthorized(HttpServerResponse response, String detail) {
        response.putHeader("WWW-Authenticate", "Bearer");
        send(response, 401, "unauthorized", detail);
    }

    public static void notFound(HttpServerResponse response) {
        send(response, 404, "not_found", "Not Found");
    }

    public static void unavailable(HttpServerResponse response) {
        send(response, 503, "service_unavailable", "Service temporarily unavailable, try again");
    }
}
