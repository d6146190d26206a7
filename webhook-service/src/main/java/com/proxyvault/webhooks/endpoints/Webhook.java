package com.proxyvault.webhooks.endpoints;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.LocalDateTime;

/** A reseller's endpoint. Table DDL: {@code V1__webhooks.sql}. */
@Entity
@Table(name = "webhooks")
public class Webhook {

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;

    @Column(name = "reseller_id", nullable = false)
    public long resellerId;

    @Column(nullable = false)
    public String url;

    @Column(nullable = false)
    public String secret;

    /** "*" or a normalized comma-separated list; see {@link EventSubscription}. */
    @Column(nullable = false)
    public String events;

    @Column(name = "created_at", nullable = false)
    public LocalDateTime createdAt;

    @Column(name = "deleted_at")
    public LocalDateTime deletedAt;
}
