package com.proxyvault.billing.accounts;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.math.BigDecimal;
import java.time.LocalDateTime;

/**
 * Read model of a reseller's balance. The row appears with the reseller's first posting and only
 * {@link com.proxyvault.billing.ledger.Ledger} changes it, always together with a ledger entry.
 */
@Entity
@Table(name = "accounts")
public class Account {

    @Id
    @Column(name = "reseller_id")
    private Long resellerId;
    private BigDecimal balance;
    private String currency;
    @Column(name = "updated_at")
    private LocalDateTime updatedAt;

    protected Account() {
    }

    public Long resellerId() {
        return resellerId;
    }

    public BigDecimal balance() {
        return balance;
    }

    public String currency() {
        return currency;
    }

    public LocalDateTime updatedAt() {
        return updatedAt;
    }
}
