package com.proxyvault.fleet.proxies;

import java.time.LocalDateTime;

/**
 * A proxy as the seed's {@code GET /proxies} shows it, plus the order it belongs to and whether it renews
 * itself ({@code auto_renew}, docs/money.md "Renewals").
 */
public record ProxyView(long id, String name, String ip, int port, String username, String password,
                        String locationId, String status, LocalDateTime expiresAt, long orderId,
                        LocalDateTime createdAt, String fingerprint, boolean autoRenew) {

    public static ProxyView of(Proxy p) {
        return new ProxyView(p.id, p.name, p.ip, p.port, p.username, p.password, p.locationId, p.status,
                p.expiresAt, p.orderId, p.createdAt, p.fingerprint, p.autoRenew);
    }
}
