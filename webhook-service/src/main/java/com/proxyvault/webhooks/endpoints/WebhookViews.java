package com.proxyvault.webhooks.endpoints;

import com.fasterxml.jackson.annotation.JsonFormat;

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

    public record Listed(
            long id,
            String url,
            String events,
            @JsonFormat(shape = JsonFormat.Shape.STRING, pattern = "yyyy-MM-dd'T'HH:mm:ss") LocalDateTime createdAt) {

        static Listed of(Webhook webhook) {
            return new Listed(webhook.id, webhook.url, webhook.events, webhook.createdAt);
        }
    }

    public record WebhookList(List<Listed> webhooks) {
    }

    public record Detail(String detail) {
    }
}
