package com.proxyvault.contracts.events;

import java.util.List;
import java.util.Optional;

/**
 * The events a reseller can receive by webhook, in one place (issue 9 item 6): the webhook filter
 * ({@code events} of an endpoint), the topics webhook-service consumes, the {@code id} it adds to each
 * payload's {@code data}, and docs/webhooks.md's table all come from {@link #WEBHOOK_EVENTS}.
 *
 * <p><b>Adding an event type is one entry</b> here ({@code event("proxy.offline", "proxy_id", "...")}) plus,
 * for a Kafka event, its JSON Schema in {@code schemas/events/<type>.json} and its producer: webhook-service
 * subscribes to every topic named here ({@link #kafkaTopics()}).
 */
public final class EventRegistry {

    /**
     * One webhook event type.
     *
     * @param type        the name ({@code proxy.provisioned}); for a Kafka event also its topic
     * @param objectId    the field of {@code data} naming the object the event is about ({@code proxy_id}),
     *                    copied to {@code data.id} so that {@code data} reads like the API's object; null for none
     * @param kafka       whether it travels on Kafka (false: made by webhook-service itself, e.g. webhook.test)
     * @param description one sentence for the docs
     */
    public record WebhookEvent(String type, String objectId, boolean kafka, String description) {
    }

    /** Every webhook event, in the order the docs list them. */
    public static final List<WebhookEvent> WEBHOOK_EVENTS = List.of(
            event("order.paid", "order_id", "an order was paid from the balance"),
            event("order.failed", "order_id", "a paid order could not be provisioned; data names the refund"),
            event("order.cancelled", "order_id", "an order stayed unpaid too long, or an auto-renewal the balance could not pay, was cancelled"),
            event("proxy.provisioned", "proxy_id", "a proxy is ready; data is the proxy with its credentials"),
            event("proxy.expiring", "proxy_id", "a proxy will expire soon and will not be renewed"),
            event("proxy.renewed", "proxy_id", "a paid renewal moved the proxy's expires_at forward (same credentials)"),
            event("proxy.expired", "proxy_id", "a proxy expired and no longer serves traffic"),
            event("proxy.ip_rotated", "proxy_id", "a reset of a proxy's modem changed its exit IP (old and new exit IP; trigger modem_reset: asked for through another proxy on the same modem)"),
            event("proxy.rotation_failed", "proxy_id", "a reset of a proxy did not change its exit IP (mode, old IP, reason); nothing changed"),
            event("proxy.offline", "proxy_id", "a proxy's modem went offline"),
            event("proxy.online", "proxy_id", "an offline proxy is back, with the same credentials"),
            local("webhook.test", null, "sent by POST /v1/reseller/webhooks/{id}/test to that endpoint only"),
            local("webhook.disabled", "webhook_id", "one of the reseller's endpoints was disabled (410 or 5 days of failures)"));

    private EventRegistry() {
    }

    /** The entry of {@code type}, if it is a webhook event. */
    public static Optional<WebhookEvent> find(String type) {
        return WEBHOOK_EVENTS.stream().filter(event -> event.type().equals(type)).findFirst();
    }

    /** Names a reseller may list in an endpoint's {@code events}. */
    public static List<String> names() {
        return WEBHOOK_EVENTS.stream().map(WebhookEvent::type).toList();
    }

    /** The Kafka topics (without prefix) that feed webhooks. */
    public static List<String> kafkaTopics() {
        return WEBHOOK_EVENTS.stream().filter(WebhookEvent::kafka).map(WebhookEvent::type).toList();
    }

    private static WebhookEvent event(String type, String objectId, String description) {
        return new WebhookEvent(type, objectId, true, description);
    }

    private static WebhookEvent local(String type, String objectId, String description) {
        return new WebhookEvent(type, objectId, false, description);
    }
}
