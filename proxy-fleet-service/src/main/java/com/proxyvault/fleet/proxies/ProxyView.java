package com.proxyvault.fleet.proxies;

import java.time.LocalDateTime;

/** A proxy as the seed's {@code GET /proxies} shows it, plus the order it belongs to. */
public record ProxyView(long id, String name, String ip, int port, String username, String password,
                        String locationId, String status, LocalDateTime expiresAt, long orderId,
                        LocalDateTime createdAt, String fingerprint) {

    static ProxyView of(Proxy p) {
        return new ProxyView(p.id, p.name, p.ip, p.port, p.username, p.password, p.locationId, p.status,
                p.expiresAt, p.orderId, p.createdAt, p.fingerprint);
    }
}
