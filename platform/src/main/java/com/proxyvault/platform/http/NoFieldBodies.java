package com.proxyvault.platform.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.ws.rs.core.MediaType;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The body rule of an action that takes no fields ({@code pay}, {@code disconnect}, a webhook's {@code test},
 * {@code rotate-secret}, {@code enable}, a delivery's {@code resend}, a modem's {@code drain} / {@code undrain}, a
 * dead letter's {@code replay}): no body (absent or whitespace), or {@code {}} as {@code application/json}, what some
 * client libraries send. Anything else is refused before the action runs (docs/api.md "Request bodies"): an
 * irreversible action must not run on a body that says something else ({@code disconnect {"really": false}}; third
 * new-user review, finding 2; {@code pay {"x": 1}} paid before the first review).
 *
 * <p>The endpoint takes the raw body ({@code byte[]}) and its {@code Content-Type} and calls {@link #require} first.
 */
public final class NoFieldBodies {

    private NoFieldBodies() {
    }

    /**
     * Returns when {@code body} is empty or {@code {}}; else throws {@link ApiException}: 415
     * {@code unsupported_media_type} for a body sent as another type than {@code application/json} (none is JSON), 400 {@code malformed_json} for
     * broken JSON ({@link StrictJson}'s rules, the byte order mark included), 422 for a non-object or a field (the
     * detail names the first one and {@code action}).
     *
     * @param json   the service's own mapper (its parser factory reads the body)
     * @param action the endpoint's name in the details, e.g. {@code "pay"}
     */
    public static void require(ObjectMapper json, String action, String contentType, byte[] body) {
        if (body == null || new String(body, StandardCharsets.UTF_8).isBlank()) {
            return;
        }
        // no Content-Type at all is read as JSON, as every body is (docs/api.md, 415 row); only another type is refused
        String type = contentType == null ? MediaType.APPLICATION_JSON : contentType.split(";", 2)[0].strip();
        if (!type.equalsIgnoreCase(MediaType.APPLICATION_JSON)) {
            throw new ApiException(415, ErrorCodes.UNSUPPORTED_MEDIA_TYPE,
                    "Unsupported Media Type: " + action + " takes no body, or an empty JSON object as application/json");
        }
        JsonNode tree;
        try {
            StrictJson.scan(json.getFactory(), body);
            tree = json.readTree(body);
        } catch (IOException e) {
            throw ApiException.malformedJson(StrictJson.malformedDetail(e));
        }
        if (!tree.isObject()) {
            throw ApiException.unprocessable("The request body of " + action + " must be an empty JSON object, or absent");
        }
        if (!tree.isEmpty()) {
            throw ApiException.unprocessable("Unknown field '" + tree.fieldNames().next() + "': " + action + " takes no fields");
        }
    }
}
