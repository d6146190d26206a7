package com.proxyvault.webhooks.endpoints;

import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.annotation.JsonInclude;

import java.time.LocalDateTime;
import java.util.List;

/** Response bodies of {@code /v1/reseller/webhooks}, field for field as the seed contract shows them. */
public final class WebhookViews {

    private WebhookViews() {
    }

    /** The only response that carries the secret. */
    public record Created(
            long id,
            String url,
            String secret,
            String events,
            @JsonFormat(shape = JsonFormat.Shape.STRING, pattern = "yyyy-MM-dd'T'HH:mm:ss") LocalDateTime createdAt) {

        static Created of(Webhook webhook) {
            return new Created(webhook.id, webhook.url, webhook.secret, webhook.events, webhook.createdAt);
        }
    }

    /**
     * A webhook as listed: the seed's {@code id, url, events, created_at}, plus {@code enabled},
     * {@code disabled_at} and {@code disabled_reason} (null while enabled).
     */
    public record Listed(
            long id,
            String url,
            String events,
            @JsonFormat(shape = JsonFormat.Shape.STRING, pattern = "yyyy-MM-dd'T'HH:mm:ss") LocalDateTime createdAt,
            boolean enabled,
            @JsonFormat(shape = JsonFormat.Shape.STRING, pattern = "yyyy-MM-dd'T'HH:mm:ss") LocalDateTime disabledAt,
            String disabledReason) {

        static Listed of(Webhook webhook) {
            return new Listed(webhook.id, webhook.url, webhook.events, webhook.createdAt, webhook.disabledAt == null,
                    webhook.disabledAt, webhook.disabledReason);
        }
    }

    /**
     * Answer of {@code POST /webhooks/{id}/rotate-secret}: the new secret (shown once) and until when the
     * previous one still signs.
     */
    public record Rotated(
            long id,
            String secret,
            @JsonFormat(shape = JsonFormat.Shape.STRING, pattern = "yyyy-MM-dd'T'HH:mm:ss") LocalDateTime previousSecretExpiresAt) {
    }

    /** Answer of the calls that queue deliveries: test, resend, replay ({@code events} = how many were queued). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Queued(String detail, String eventId, Integer events) {
    }

    public record WebhookList(List<Listed> webhooks) {
    }

    public record Detail(String detail) {
    }
}
