package com.proxyvault.billing.charges;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * {@code {"reference": "order:42", "amount": "20.00", "description": "...", "order_id": 42}}: reference 1..100 characters,
 * amount a money string ({@code Amounts}: 0.01..1000000.00, at most 2 decimals), description at most 500
 * characters; order_id optional (a positive integer, stored on the entry; without it a reference
 * {@code order:<id>} gives it); no control characters, no other fields (docs/api.md). The amount is a string so that
 * {@code 20} (a number) and {@code "abc"} are both 422, never a silent coercion.
 */
public record ChargeRequest(
        @Schema(required = true, examples = "order:42", maxLength = 100) String reference,
        @Schema(required = true, examples = "20.00", description = "Positive, at most 2 decimals, at most 1000000.00", pattern = "^[0-9]+(\\.[0-9]{1,2})?$") String amount,
        @Schema(examples = "Order 42: Multi Hop Proxy, 24 Hour", maxLength = 500) String description,
        @Schema(examples = "42", description = "The order being paid; optional for now (docs/money.md)") Long orderId) {
}
