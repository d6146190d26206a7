package com.proxyvault.webhooks.delivery;

/**
 * A delivery the dispatcher has claimed for one attempt.
 *
 * @param attempt        number of this attempt of this delivery, 1 for the first
 * @param eventId        the event's id: the body's {@code id} and the {@code webhook-id} header
 * @param payload        the webhook body, built once when the delivery was created: the bytes that are
 *                       sent and signed on every attempt
 * @param secret         the endpoint's current secret
 * @param previousSecret the secret before the last rotation while it still signs (24 h), else null
 */
public record DueDelivery(long id, long webhookId, int attempt, String eventType, String eventId, String payload,
                          String url, String secret, String previousSecret) {
}
