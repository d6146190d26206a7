package com.proxyvault.webhooks.delivery;

/**
 * A delivery the dispatcher has claimed for one attempt.
 *
 * @param attempt number of this attempt, 1 for the first
 * @param payload the event envelope exactly as received from Kafka: the bytes that are sent and signed
 */
public record DueDelivery(long id, long webhookId, int attempt, String eventType, String payload, String url, String secret) {
}
