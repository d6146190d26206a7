package com.proxyvault.billing.ledger;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import org.hibernate.annotations.Immutable;

import java.math.BigDecimal;
import java.time.LocalDateTime;

/**
 * Read model of one ledger row. Rows are only ever written by {@link Ledger} (plain SQL) and the database
 * refuses updates and deletes, hence {@code @Immutable}.
 */
@Entity
@Immutable
@Table(name = "ledger_entries")
public class LedgerEntry {

    @Id
    private Long id;
    @Column(name = "reseller_id")
    private long resellerId;
    private String kind;
    private BigDecimal amount;
    @Column(name = "balance_after")
    private BigDecimal balanceAfter;
    private String reference;
    private String description;
    @Column(name = "created_at")
    private LocalDateTime createdAt;

    protected LedgerEntry() {
    }

    public Long id() {
        return id;
    }

    public long resellerId() {
        return resellerId;
    }

    public String kind() {
        return kind;
    }

    public BigDecimal amount() {
        return amount;
    }

    public BigDecimal balanceAfter() {
        return balanceAfter;
    }

    public String reference() {
        return reference;
    }

    public String description() {
        return description;
    }

    public LocalDateTime createdAt() {
        return createdAt;
    }
}
