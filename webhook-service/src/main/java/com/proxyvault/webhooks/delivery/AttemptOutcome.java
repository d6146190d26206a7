package com.proxyvault.webhooks.delivery;

import java.time.Duration;
import java.time.LocalDateTime;

/**
 * What one HTTP attempt gave.
 *
 * @param responseStatus HTTP status, or null when no response came back (connection refused, timeout,
 *                       TLS failure, blocked address)
 * @param error          why it failed, for operators; null on success
 * @param durationMs     from the start of the attempt (DNS included) to the end of the answer, milliseconds
 * @param responseBody   the first {@value DeliverySender#MAX_RESPONSE_BODY} bytes of the answer (UTF-8,
 *                       malformed bytes replaced), null when there was no answer
 * @param retryAfter     the answer's {@code Retry-After} on a 429 or 503, else null
 */
public record AttemptOutcome(DueDelivery delivery, boolean success, Integer responseStatus, String error,
                             LocalDateTime attemptedAt, long durationMs, String responseBody, Duration retryAfter) {

    /** 410 Gone: the receiver says the endpoint no longer exists, so it is disabled. */
    public boolean gone() {
        return responseStatus != null && responseStatus == 410;
    }
}
