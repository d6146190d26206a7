package com.proxyvault.billing.accounts;

import com.fasterxml.jackson.annotation.JsonFormat;
import com.proxyvault.billing.ledger.Money;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.math.BigDecimal;

/** {@code {"balance": "150.00", "currency": "USD"}}: the seed contract's balance body, also returned by top-ups. */
public record BalanceView(
        @Schema(type = SchemaType.STRING, examples = "150.00") @JsonFormat(shape = JsonFormat.Shape.STRING) BigDecimal balance,
        @Schema(examples = "USD") String currency) {

    public BalanceView {
        balance = Money.normalize(balance);
    }

    public static BalanceView of(BigDecimal balance) {
        return new BalanceView(balance, Money.CURRENCY);
    }
}
