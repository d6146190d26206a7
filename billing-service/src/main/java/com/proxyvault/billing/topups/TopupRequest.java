package com.proxyvault.billing.topups;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** {@code {"amount": "100.00", "reference": "dep-1"}}; the reference makes a repeated top-up credit once. */
public record TopupRequest(
        @Schema(required = true, examples = "100.00", description = "Positive, at most 2 decimals") String amount,
        @Schema(required = true, examples = "dep-1", description = "Idempotency key of the deposit") String reference) {
}
