package com.proxyvault.orders.catalog;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.math.BigDecimal;
import java.util.List;

/** A pricing tier of a product: what a period of the proxy costs. */
@Entity
@Table(name = "pricings")
public class Pricing extends PanacheEntityBase {
    /** What a tier's period may be counted in (the table's check; the fleet's Periods reads the same words). */
    public static final List<String> PERIOD_TYPES = List.of("hour", "day", "week", "month");

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
