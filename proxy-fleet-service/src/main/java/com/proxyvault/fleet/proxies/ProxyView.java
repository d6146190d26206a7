package com.proxyvault.fleet.proxies;

import java.time.LocalDateTime;

/**
 * A proxy as the seed's {@code GET /proxies} shows it, plus the order it belongs to and whether it renews
 * itself ({@code auto_renew}, docs/money.md "Renewals"), its modem's {@code exit_ip} and its traffic
 * ({@code bytes_in}, {@code bytes_out}: from and to its customers, as its agent counted them), and its latest IP
 * rotation ({@code rotation}, null when it was never reset on its modem: {@link RotationView}).
 *
 * <p>{@code port} is null unless the proxy holds one ({@link ProxyStatus#HOLDING_PORT}: provisioning, active,
 * offline; docs/fleet.md "What a reseller sees after disconnect and connect"). A {@code disconnected} or
 * {@code expired} proxy's listener is closed and its port went back to its agent's free ports, where the next
 * placement may give it to another proxy (a {@code connect} gives a disconnected proxy a port and credentials again);
 * a {@code failed} proxy's port was never opened at all (its provisioning failed) and went back the same way. For the
 * same reason {@code exit_ip} and {@code rotation}, which describe the modem, are null then too: the modem is free
 * and may be serving, and be reset for, someone else. {@code ip}, {@code username}, {@code password} and
 * {@code location_id} stay as they were (the last placement's): the seed types them as strings, and without a port
 * they reach nothing (a failed proxy's were never configured on any listener, and a failed proxy never becomes live).
 */
public record ProxyView(long id, String name, String ip, Integer port, String username, String password,
                        String locationId, String status, LocalDateTime expiresAt, long orderId,
                        LocalDateTime createdAt, String fingerprint, boolean autoRenew, String exitIp, long bytesIn,
                        long bytesOut, RotationView rotation) {

    /**
     * {@code exitIp}: the public IP of the proxy's modem as the fleet last knew it (null when unknown); {@code traffic}:
     * its {@code proxy_traffic} row's {@code (bytes_in, bytes_out)}, null before its agent reported any (0, 0);
     * {@code rotation}: its latest run on the modem it is on now, or null. The modem's fields are left out (null)
     * for a proxy that holds no port (disconnected, failed, expired), and so is its port (see the class comment).
     */
    public static ProxyView of(Proxy p, String exitIp, long[] traffic, RotationView rotation) {
        boolean placed = ProxyStatus.HOLDING_PORT.contains(p.status);
        return new ProxyView(p.id, p.name, p.ip, placed ? p.port : null, p.username, p.password, p.locationId, p.status,
                p.expiresAt, p.orderId, p.createdAt, p.fingerprint, p.autoRenew, placed ? exitIp : null,
                traffic == null ? 0 : traffic[0], traffic == null ? 0 : traffic[1], placed ? rotation : null);
    }
}
