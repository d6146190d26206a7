package com.proxyvault.webhooks.delivery;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import org.hibernate.annotations.Immutable;

import java.time.LocalDateTime;
import java.util.UUID;

/** One recorded HTTP attempt; written by {@link DeliveryStore}, read here for the history API. */
@Entity
@Immutable
@Table(name = "delivery_attempts")
public class DeliveryAttempt {

    @Id
    public Long id;

    @Column(name = "delivery_id")
    public long deliveryId;

    @Column(name = "webhook_id")
    public long webhookId;

    @Column(name = "event_type")
    public String eventType;

    public int attempt;

    public boolean success;

    @Column(name = "response_status")
    public Integer responseStatus;

    public String error;

    @Column(name = "attempted_at")
    public LocalDateTime attemptedAt;

    @Column(name = "event_id")
    public UUID eventId;

    @Column(name = "duration_ms")
    public Integer durationMs;

    @Column(name = "response_body")
    public String responseBody;
}
