package com.proxyvault.billing.charges;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * {@code {"reference": "order:42", "amount": "20.00", "description": "..."}}. The amount is read as a
 * string so that a value like {@code "abc"} is a 422 (invalid value), not a 400 (malformed JSON).
 */
public record ChargeRequest(
        @Schema(required = true, examples = "order:42") String reference,
        @Schema(required = true, examples = "20.00", description = "Positive, at most 2 decimals") String amount,
        @Schema(examples = "Order 42: Multi Hop Proxy, 24 Hour") String description) {
}
