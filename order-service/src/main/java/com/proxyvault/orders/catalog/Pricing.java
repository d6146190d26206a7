package com.proxyvault.orders.catalog;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.math.BigDecimal;

/** A pricing tier of a product: what a period of the proxy costs. */
@Entity
@Table(name = "pricings")
public class Pricing extends PanacheEntityBase {
    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;
    @Column(name = "product_id")
    public Long productId;
    public String label;
    public BigDecimal price;
    @Column(name = "period_type")
    public String periodType;
    @Column(name = "period_duration")
    public int periodDuration;
    public boolean active;
}
