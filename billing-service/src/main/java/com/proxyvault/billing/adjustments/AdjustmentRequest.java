package com.proxyvault.billing.adjustments;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * {@code {"amount": "-5.00", "reason": "duplicate deposit dep-7", "reference": "adj-1"}}: a signed money string
 * (0.01..1000000.00 either way, {@code Money.parseSigned}), a required reason (at most 200 characters) and
 * the operator's idempotency key (1..100 characters, stored as {@code adjustment:<reference>}).
 */
public record AdjustmentRequest(
        @Schema(required = true, examples = "-5.00", description = "Signed: credit or debit, at most 2 decimals, 0.01..1000000.00 either way",
                pattern = "^-?[0-9]+(\\.[0-9]{1,2})?$") String amount,
        @Schema(required = true, examples = "duplicate deposit dep-7", maxLength = 200) String reason,
        @Schema(required = true, examples = "adj-1", maxLength = 100) String reference) {
}
