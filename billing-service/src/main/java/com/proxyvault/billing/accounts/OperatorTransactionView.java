package com.proxyvault.billing.accounts;

import com.fasterxml.jackson.annotation.JsonFormat;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.math.BigDecimal;
import java.time.LocalDateTime;

/**
 * One ledger entry as an operator sees it: the reseller's {@link TransactionView}, field for field, plus
 * {@code reason}, the reason the operator gave for an adjustment (1..200 characters, as sent; stored as the
 * entry's description), null for every other kind. JSON: {@code {"id", "type", "amount", "balance_after",
 * "order_id", "reference", "reason", "created_at"}}.
 */
public record OperatorTransactionView(
        @Schema(examples = "17") long id,
        @Schema(enumeration = {"topup", "charge", "refund", "adjustment"}, examples = "adjustment") String type,
        @Schema(type = SchemaType.STRING, examples = "-5.00") @JsonFormat(shape = JsonFormat.Shape.STRING) BigDecimal amount,
        @Schema(type = SchemaType.STRING, examples = "95.00") @JsonFormat(shape = JsonFormat.Shape.STRING) BigDecimal balanceAfter,
        @Schema(examples = "42", nullable = true) Long orderId,
        @Schema(examples = "adjustment:adj-7") String reference,
        @Schema(examples = "duplicate deposit dep-7", nullable = true, maxLength = 200,
                description = "An adjustment's reason; null for other kinds") String reason,
        @Schema(examples = "2026-05-25T12:00:00") LocalDateTime createdAt) {
}
