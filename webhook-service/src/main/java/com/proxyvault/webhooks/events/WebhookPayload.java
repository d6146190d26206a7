package com.proxyvault.webhooks.events;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.proxyvault.contracts.events.EventRegistry;

import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.ResolverStyle;
import java.util.UUID;

/**
 * The body of a webhook (issue 9 item 2): {@code {"id", "type", "created_at", "reseller_id", "data"}}.
 * {@code id} is the event id (also {@code webhook-id}), {@code created_at} the event's {@code occurred_at}
 * exactly as the producer wrote it (UTC, {@code 2026-05-25T12:00:00}), {@code data} the event's data with
 * {@code id} = the object's id first ({@code proxy_id} for proxy events, {@code order_id} for orders, from
 * {@link EventRegistry}), so that a {@code proxy.provisioned}'s data reads like {@code GET /proxies/{id}}:
 * id, name, ip, port, username, password, location_id, status, expires_at (plus proxy_id and order_id).
 * Built once when the delivery is created and stored, so every attempt sends and signs the same bytes.
 */
public final class WebhookPayload {

    /**
     * The API's and the events' timestamp form: UTC to the second, {@code 2026-05-25T12:00:00}. Strict, so
     * reading a reseller's timestamp refuses a date that does not exist ({@code 2026-11-31}, {@code 2026-02-29},
     * hour 24) instead of moving it to the nearest one (new-user review: 11-31 was read as 11-30).
     */
    public static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss")
            .withResolverStyle(ResolverStyle.STRICT);

    private WebhookPayload() {
    }

    /**
     * @param envelope the event envelope as it came from Kafka ({@code id, type, occurred_at, reseller_id, data})
     * @return the webhook body as compact JSON
     */
    public static String fromEnvelope(ObjectMapper mapper, JsonNode envelope) {
        ObjectNode body = mapper.createObjectNode();
        String type = envelope.path("type").asText();
        body.set("id", envelope.get("id"));
        body.put("type", type);
        body.set("created_at", envelope.get("occurred_at"));
        body.set("reseller_id", envelope.get("reseller_id"));
        body.set("data", withObjectId(mapper, type, envelope.get("data")));
        return write(mapper, body);
    }

    /**
     * The body of a {@code webhook.disabled} event (docs/webhooks.md, Events), compact like every other body:
     * {@code {"id", "type", "created_at", "reseller_id", "data": {"id", "webhook_id", "url", "reason",
     * "disabled_at"}}}, {@code data.id} = {@code webhook_id} = the disabled endpoint.
     *
     * @param eventId the event's id, one for all of the reseller's endpoints that get it
     * @param at      when the endpoint was disabled (UTC); {@code created_at} and {@code disabled_at}, to the second
     */
    public static String webhookDisabled(ObjectMapper mapper, UUID eventId, long resellerId, long webhookId, String url,
                                         String reason, LocalDateTime at) {
        ObjectNode body = mapper.createObjectNode();
        body.put("id", eventId.toString());
        body.put("type", "webhook.disabled");
        body.put("created_at", TIMESTAMP.format(at));
        body.put("reseller_id", resellerId);
        ObjectNode data = body.putObject("data");
        data.put("id", webhookId);
        data.put("webhook_id", webhookId);
        data.put("url", url);
        data.put("reason", reason);
        data.put("disabled_at", TIMESTAMP.format(at));
        return write(mapper, body);
    }

    /** {@code data} with {@code "id"} = the registry's object id field first, unless it has an id already. */
    static JsonNode withObjectId(ObjectMapper mapper, String type, JsonNode data) {
        String idField = EventRegistry.find(type).map(EventRegistry.WebhookEvent::objectId).orElse(null);
        if (idField == null || !data.isObject() || data.has("id") || !data.has(idField)) {
            return data;
        }
        ObjectNode withId = mapper.createObjectNode();
        withId.set("id", data.get(idField));
        withId.setAll((ObjectNode) data);
        return withId;
    }

    static String write(ObjectMapper mapper, JsonNode body) {
        try {
            return mapper.writeValueAsString(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree always serializes", e);
        }
    }
}
