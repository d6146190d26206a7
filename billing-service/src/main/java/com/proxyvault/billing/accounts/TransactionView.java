package com.proxyvault.billing.accounts;

import com.fasterxml.jackson.annotation.JsonFormat;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.math.BigDecimal;
import java.time.LocalDateTime;

/**
 * One ledger entry as the reseller sees it: {@code amount} signed (credits +, debits −) so that each
 * {@code balance_after} is the previous one plus {@code amount}; {@code order_id} null unless the entry
 * belongs to an order; {@code reference} the stored one ({@code order:42}, {@code topup:dep-1},
 * {@code refund:order:42}, {@code adjustment:adj-1}).
 */
public record TransactionView(
        @Schema(examples = "17") long id,
        @Schema(enumeration = {"topup", "charge", "refund", "adjustment"}, examples = "charge") String type,
        @Schema(type = SchemaType.STRING, examples = "-20.00") @JsonFormat(shape = JsonFormat.Shape.STRING) BigDecimal amount,
        @Schema(type = SchemaType.STRING, examples = "80.00") @JsonFormat(shape = JsonFormat.Shape.STRING) BigDecimal balanceAfter,
        @Schema(examples = "42", nullable = true) Long orderId,
        @Schema(examples = "order:42") String reference,
        @Schema(examples = "2026-05-25T12:00:00") LocalDateTime createdAt) {
}
