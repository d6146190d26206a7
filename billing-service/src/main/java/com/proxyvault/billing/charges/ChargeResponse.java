package com.proxyvault.billing.charges;

import com.fasterxml.jackson.annotation.JsonFormat;
import com.proxyvault.billing.ledger.Money;
import com.proxyvault.billing.ledger.Posting;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.math.BigDecimal;

/** {@code {"reference": "order:42", "amount": "20.00", "balance": "80.00", "currency": "USD"}}. */
public record ChargeResponse(
        @Schema(examples = "order:42") String reference,
        @Schema(type = SchemaType.STRING, examples = "20.00") @JsonFormat(shape = JsonFormat.Shape.STRING) BigDecimal amount,
        @Schema(type = SchemaType.STRING, examples = "80.00") @JsonFormat(shape = JsonFormat.Shape.STRING) BigDecimal balance,
        @Schema(examples = "USD") String currency) {

    static ChargeResponse of(Posting charge) {
        return new ChargeResponse(charge.reference(), charge.magnitude(), charge.balance(), Money.CURRENCY);
    }
}
