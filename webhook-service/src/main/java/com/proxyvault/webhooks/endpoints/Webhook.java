package com.proxyvault.webhooks.endpoints;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import org.hibernate.annotations.DynamicUpdate;

import java.time.LocalDateTime;

/**
 * A reseller's endpoint. Table DDL: {@code V1__webhooks.sql}, {@code V3__rotation_health_history.sql}.
 * Updates write only the columns that changed ({@link DynamicUpdate}): the dispatcher writes
 * {@code failing_since} and {@code disabled_*} with plain SQL meanwhile, and a rotation must not write
 * back a stale copy of them.
 */
@Entity
@DynamicUpdate
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

    /** The secret before the last rotation; signs beside {@link #secret} until {@link #previousSecretExpiresAt}. */
    @Column(name = "previous_secret")
    public String previousSecret;

    @Column(name = "previous_secret_expires_at")
    public LocalDateTime previousSecretExpiresAt;

    /** First failed attempt of the current run of failures; null after a success. Written by the dispatcher. */
    @Column(name = "failing_since")
    public LocalDateTime failingSince;

    /** When the endpoint was disabled (410, or failing for 5 days); null while enabled. */
    @Column(name = "disabled_at")
    public LocalDateTime disabledAt;

    @Column(name = "disabled_reason")
    public String disabledReason;

    /**
     * The {@code Idempotency-Key} of the request that registered this endpoint, or null (V5; one per reseller and key).
     * Held for {@code ForwardedIdempotencyKey.RETENTION} from {@link #createdAt}: a later endpoint with the key sets it null.
     */
    @Column(name = "idempotency_key")
    public String idempotencyKey;
}
