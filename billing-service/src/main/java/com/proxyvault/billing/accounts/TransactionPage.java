package com.proxyvault.billing.accounts;

import java.util.List;

/** {@code {"transactions": [...], "total": 3}}: one page, newest first; {@code total} counts all the reseller's entries. */
public record TransactionPage(List<TransactionView> transactions, long total) {
}
