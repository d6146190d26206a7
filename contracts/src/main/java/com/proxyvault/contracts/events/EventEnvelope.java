package com.proxyvault.contracts.events;

import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import java.time.Clock;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.UUID;

/**
 * Every event on Kafka, and every webhook body, has this shape:
 * {@code {"id": "<uuid>", "type": "order.paid", "occurred_at": "...", "reseller_id": 7, "data": {...}}}.
 * The id is what consumers deduplicate on, so it is created once, when the event is written to the
 * producer's outbox, and never again.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record EventEnvelope<T>(
        UUID id,
        String type,
        @JsonFormat(shape = JsonFormat.Shape.STRING, pattern = "yyyy-MM-dd'T'HH:mm:ss") LocalDateTime occurredAt,
        long resellerId,
        T data) {

    /** For tests and tools; services pass their injected {@link Clock} to the other factory. */
    public static <T> EventEnvelope<T> of(String type, long resellerId, T data) {
        return of(type, resellerId, data, Clock.systemUTC());
    }

    /** A new event with a fresh id, occurring now by {@code clock} (UTC, whole seconds). */
    public static <T> EventEnvelope<T> of(String type, long resellerId, T data, Clock clock) {
        return new EventEnvelope<>(UUID.randomUUID(), type,
                LocalDateTime.ofInstant(clock.instant(), ZoneOffset.UTC).truncatedTo(ChronoUnit.SECONDS), resellerId, data);
    }

    /** Events of one reseller share a partition, so a reseller's webhooks arrive in order. */
    public String partitionKey() {
        return Long.toString(resellerId);
    }
}
