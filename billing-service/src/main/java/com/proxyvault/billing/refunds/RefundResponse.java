package com.proxyvault.billing.refunds;

import com.fasterxml.jackson.annotation.JsonFormat;
import com.proxyvault.billing.ledger.Money;
import com.proxyvault.billing.ledger.Posting;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.math.BigDecimal;

/** {@code {"reference": "refund:order:42", "amount": "20.00", "balance": "100.00", "currency": "USD"}}. */
public record RefundResponse(
        @Schema(examples = "refund:order:42") String reference,
        @Schema(type = SchemaType.STRING, examples = "20.00") @JsonFormat(shape = JsonFormat.Shape.STRING) BigDecimal amount,
        @Schema(type = SchemaType.STRING, examples = "100.00") @JsonFormat(shape = JsonFormat.Shape.STRING) BigDecimal balance,
        @Schema(examples = "USD") String currency) {

    static RefundResponse of(Posting refund) {
        return new RefundResponse(refund.reference(), refund.magnitude(), refund.balance(), Money.CURRENCY);
    }
}
