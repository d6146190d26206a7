package com.proxyvault.billing.topups;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * {@code {"amount": "100.00", "reference": "dep-1"}}; the reference (1..100 characters) makes a repeated
 * top-up credit once; the amount is a money string, 0.01..1000000.00 ({@code Amounts}).
 */
public record TopupRequest(
        @Schema(required = true, examples = "100.00", description = "Positive, at most 2 decimals, at most 1000000.00", pattern = "^[0-9]+(\\.[0-9]{1,2})?$") String amount,
        @Schema(required = true, examples = "dep-1", description = "Idempotency key of the deposit", maxLength = 100) String reference) {
}
