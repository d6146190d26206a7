package com.proxyvault.platform.net;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Addresses that traffic a customer controls must never reach (SSRF): webhook deliveries and proxy
 * origins are both chosen by resellers or their customers, while the services sit inside our network.
 * A target resolving to loopback, a private network, link-local (which includes the cloud metadata
 * endpoint 169.254.169.254) or any other non-public range could be used to probe internal systems.
 *
 * <p>Plain Java on purpose: webhook-service and device-agent share it, and it must stay usable outside
 * Quarkus. It looks at the address only; resolving names (and connecting to exactly the address that
 * was checked) is the caller's job.
 */
public final class BlockedAddresses {

    private BlockedAddresses() {
    }

    public static boolean isBlocked(InetAddress address) {
        if (address.isAnyLocalAddress()        // 0.0.0.0, ::
                || address.isLoopbackAddress() // 127/8, ::1
                || address.isLinkLocalAddress() // 169.254/16 (metadata), fe80::/10
                || address.isSiteLocalAddress() // 10/8, 172.16/12, 192.168/16, fec0::/10
                || address.isMulticastAddress()) {
            return true;
        }
        byte[] b = address.getAddress();
        if (address instanceof Inet4Address) {
            int first = b[0] & 0xff;
            int second = b[1] & 0xff;
            return first == 0                                   // "this network"
                    || (first == 100 && second >= 64 && second <= 127) // carrier-grade NAT 100.64/10
                    || (first == 192 && second == 0 && (b[2] & 0xff) == 0) // IETF protocol assignments 192.0.0/24
                    || (first == 198 && (second == 18 || second == 19))    // benchmarking 198.18/15
                    || first >= 240;                            // reserved and broadcast
        }
        if (address instanceof Inet6Address) {
            int first = b[0] & 0xff;
            int second = b[1] & 0xff;
            if ((first & 0xfe) == 0xfc) {                       // unique local fc00::/7 (incl. fd00:ec2::254)
                return true;
            }
            if (first == 0x20 && second == 0x01 && b[2] == 0 && b[3] == 0) {
                return true;                                    // Teredo 2001::/32: tunnels to an address we can't check
            }
            if (first == 0x20 && second == 0x01 && (b[2] & 0xff) == 0x0d && (b[3] & 0xff) == 0xb8) {
                return true;                                    // documentation 2001:db8::/32
            }
            if (first == 0x20 && second == 0x02) {              // 6to4 2002:aabb:ccdd::/48 carries a.b.c.d
                return isBlocked(ipv4(b[2], b[3], b[4], b[5]));
            }
            if (isIpv4Embedding(b)) {                           // ::ffff:a.b.c.d, ::a.b.c.d, 64:ff9b::a.b.c.d
                return isBlocked(ipv4(b[12], b[13], b[14], b[15]));
            }
        }
        return false;
    }

    private static boolean isIpv4Embedding(byte[] b) {
        boolean firstTenZero = true;
        for (int i = 0; i < 10; i++) {
            firstTenZero &= b[i] == 0;
        }
        boolean mapped = firstTenZero && ((b[10] == 0 && b[11] == 0) || (b[10] == (byte) 0xff && b[11] == (byte) 0xff));
        boolean nat64 = (b[0] & 0xff) == 0x00 && (b[1] & 0xff) == 0x64 && (b[2] & 0xff) == 0xff && (b[3] & 0xff) == 0x9b;
        return mapped || nat64;
    }

    private static InetAddress ipv4(byte a, byte b, byte c, byte d) {
        try {
            return InetAddress.getByAddress(new byte[] {a, b, c, d});
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // four bytes are always a valid address
        }
    }
}
