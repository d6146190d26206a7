package com.proxyvault.billing.accounts;

import java.util.List;

/**
 * {@code {"transactions": [...], "total": 3}}: one page of a reseller's ledger for an operator, newest first;
 * {@code total} counts all the reseller's entries (as {@link TransactionPage}).
 */
public record OperatorTransactionPage(List<OperatorTransactionView> transactions, long total) {
}
