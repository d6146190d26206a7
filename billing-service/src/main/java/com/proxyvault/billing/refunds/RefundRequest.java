package com.proxyvault.billing.refunds;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * {@code {"order_id": 42, "charge_reference": "order:42", "reason": "..."}}: order-service asks for the
 * charge of one of the caller's orders back. All three required; reason at most 500 characters.
 */
public record RefundRequest(
        @Schema(required = true, examples = "42") Long orderId,
        @Schema(required = true, examples = "order:42", maxLength = 100) String chargeReference,
        @Schema(required = true, examples = "provisioning failed: no device in location", maxLength = 500) String reason) {
}
