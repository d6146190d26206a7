package com.proxyvault.fleet.proxies;

import java.time.LocalDateTime;

/**
 * A proxy as the seed's {@code GET /proxies} shows it, plus the order it belongs to and whether it renews
 * itself ({@code auto_renew}, docs/money.md "Renewals"), its modem's {@code exit_ip} and its traffic
 * ({@code bytes_in}, {@code bytes_out}: from and to its customers, as its agent counted them), and its latest IP
 * rotation ({@code rotation}, null when it was never reset: {@link RotationView}).
 */
public record ProxyView(long id, String name, String ip, int port, String username, String password,
                        String locationId, String status, LocalDateTime expiresAt, long orderId,
                        LocalDateTime createdAt, String fingerprint, boolean autoRenew, String exitIp, long bytesIn,
                        long bytesOut, RotationView rotation) {

    /**
     * {@code exitIp}: the public IP of the proxy's modem as the fleet last knew it (null when unknown); {@code traffic}:
     * its {@code proxy_traffic} row's {@code (bytes_in, bytes_out)}, null before its agent reported any (0, 0).
     */
    public static ProxyView of(Proxy p, String exitIp, long[] traffic, RotationView rotation) {
        return new ProxyView(p.id, p.name, p.ip, p.port, p.username, p.password, p.locationId, p.status,
                p.expiresAt, p.orderId, p.createdAt, p.fingerprint, p.autoRenew, exitIp,
                traffic == null ? 0 : traffic[0], traffic == null ? 0 : traffic[1], rotation);
    }
}
