package com.proxyvault.webhooks.delivery;

import java.time.LocalDateTime;

/**
 * What one HTTP attempt gave.
 *
 * @param responseStatus HTTP status, or null when no response came back (connection refused, timeout,
 *                       TLS failure, blocked address)
 * @param error          why it failed, for operators; null on success
 */
public record AttemptOutcome(DueDelivery delivery, boolean success, Integer responseStatus, String error, LocalDateTime attemptedAt) {
}
