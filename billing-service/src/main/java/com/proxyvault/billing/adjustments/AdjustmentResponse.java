package com.proxyvault.billing.adjustments;

import com.fasterxml.jackson.annotation.JsonFormat;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.math.BigDecimal;

/** {@code {"balance": "95.00", "currency": "USD", "reference": "adj-1", "amount": "-5.00"}}: reference as the operator sent it. */
public record AdjustmentResponse(
        @Schema(type = SchemaType.STRING, examples = "95.00") @JsonFormat(shape = JsonFormat.Shape.STRING) BigDecimal balance,
        @Schema(examples = "USD") String currency,
        @Schema(examples = "adj-1") String reference,
        @Schema(type = SchemaType.STRING, examples = "-5.00") @JsonFormat(shape = JsonFormat.Shape.STRING) BigDecimal amount) {
}
