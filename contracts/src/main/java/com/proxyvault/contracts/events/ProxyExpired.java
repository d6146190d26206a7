package com.proxyvault.contracts.events;

import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import java.time.LocalDateTime;

/** {@code proxy.expired}: the paid period ended and the agent was told to close the listener. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record ProxyExpired(
        long proxyId,
        long orderId,
        @JsonFormat(shape = JsonFormat.Shape.STRING, pattern = "yyyy-MM-dd'T'HH:mm:ss") LocalDateTime expiredAt) {
}
