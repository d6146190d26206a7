package com.proxyvault.contracts.events;

import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import java.time.LocalDateTime;

/**
 * {@code proxy.offline}: proxy {@code proxy_id} (bought by order {@code order_id}) stopped working because its
 * agent has not been heard from since {@code last_seen_at} (past the heartbeat timeout; docs/fleet.md
 * "Offline detection"). {@code proxy.online} follows when the agent is back.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record ProxyOffline(
        long proxyId,
        long orderId,
        @JsonFormat(shape = JsonFormat.Shape.STRING, pattern = "yyyy-MM-dd'T'HH:mm:ss") LocalDateTime lastSeenAt) {
}
