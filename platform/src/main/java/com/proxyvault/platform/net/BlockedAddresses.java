package com.proxyvault.platform.net;

import java.net.InetAddress;
import java.util.List;

/**
 * Addresses that traffic a customer controls must never reach (SSRF): webhook deliveries and proxy
 * origins are both chosen by resellers or their customers, while the services sit inside our network.
 * A target resolving to loopback, a private network, link-local (which includes the cloud metadata
 * endpoint 169.254.169.254) or any other non-public range could be used to probe internal systems.
 *
 * <p>The ranges are the non-global entries of the IANA IPv4 and IPv6 Special-Purpose Address Registries
 * (RFC 6890 and its updates), plus every IPv6 form that carries an IPv4 address we cannot vouch for:
 * <ul>
 *   <li>IPv4: 0/8, 10/8, 100.64/10 (CGNAT), 127/8, 169.254/16 (link-local, metadata), 172.16/12,
 *       192.0.0/24, the documentation ranges 192.0.2/24, 198.51.100/24 and 203.0.113/24, 192.88.99/24
 *       (6to4 relay), 192.168/16, 198.18/15 (benchmarking), 224/4 (multicast), 240/4 (reserved, incl.
 *       255.255.255.255);</li>
 *   <li>IPv6: ::/96 (unspecified, loopback, IPv4-compatible), the whole ::ffff:0:0/96 (IPv4-mapped) and
 *       ::ffff:0:0:0/96 (IPv4-translated), 64:ff9b::/96 and 64:ff9b:1::/48 (NAT64), 100::/64 (discard),
 *       2001::/32 (Teredo), 2001:2::/48 (benchmarking), 2001:10::/28 and 2001:20::/28 (ORCHID),
 *       2001:db8::/32 and 3fff::/20 (documentation), fc00::/7 (ULA), fe80::/10 (link-local), fec0::/10
 *       (site-local), ff00::/8 (multicast), and 2002::/16 (6to4) when the IPv4 address it wraps is blocked.</li>
 * </ul>
 * Mapped, translated and NAT64 forms are refused whole, whatever IPv4 address they carry: a client may
 * translate them to anything, and a public service has a plain IPv4 or IPv6 address to use instead.
 *
 * <p>Plain Java on purpose: webhook-service and device-agent share it, and it must stay usable outside
 * Quarkus. It looks at the address only; resolving names (and connecting to exactly the address that
 * was checked) is the caller's job. Java turns an IPv4-mapped address into an {@code Inet4Address}
 * whenever it builds an {@link InetAddress}, so a URL's literal must be judged on its raw bytes
 * ({@link #isBlocked(byte[])}, {@link HostSyntax}) to see the mapped form at all.
 */
public final class BlockedAddresses {

    /** One blocked range: {@code prefix} bytes (4 or 16), {@code bits} significant, and what it is. */
    public record Range(String cidr, byte[] prefix, int bits, String name) {

        boolean contains(byte[] address) {
            if (address.length != prefix.length) {
                return false;
            }
            int full = bits / 8;
            for (int i = 0; i < full; i++) {
                if (address[i] != prefix[i]) {
                    return false;
                }
            }
            int rest = bits % 8;
            if (rest == 0) {
                return true;
            }
            int mask = (0xff << (8 - rest)) & 0xff;
            return (address[full] & mask) == (prefix[full] & mask);
        }
    }

    /** Every blocked range, IPv4 first; 6to4 is handled beside them (it depends on the wrapped address). */
    public static final List<Range> RANGES = List.of(
            range("0.0.0.0/8", "\"this network\""),
            range("10.0.0.0/8", "private"),
            range("100.64.0.0/10", "carrier-grade NAT"),
            range("127.0.0.0/8", "loopback"),
            range("169.254.0.0/16", "link-local (cloud metadata)"),
            range("172.16.0.0/12", "private"),
            range("192.0.0.0/24", "IETF protocol assignments"),
            range("192.0.2.0/24", "documentation (TEST-NET-1)"),
            range("192.88.99.0/24", "6to4 relay anycast"),
            range("192.168.0.0/16", "private"),
            range("198.18.0.0/15", "benchmarking"),
            range("198.51.100.0/24", "documentation (TEST-NET-2)"),
            range("203.0.113.0/24", "documentation (TEST-NET-3)"),
            range("224.0.0.0/4", "multicast"),
            range("240.0.0.0/4", "reserved and broadcast"),
            range("::/96", "unspecified, loopback and IPv4-compatible IPv6"),
            range("::ffff:0:0/96", "IPv4-mapped IPv6"),
            range("::ffff:0:0:0/96", "IPv4-translated IPv6"),
            range("64:ff9b::/96", "NAT64"),
            range("64:ff9b:1::/48", "local-use NAT64"),
            range("100::/64", "discard-only"),
            range("2001::/32", "Teredo"),
            range("2001:2::/48", "benchmarking"),
            range("2001:10::/28", "ORCHID"),
            range("2001:20::/28", "ORCHIDv2"),
            range("2001:db8::/32", "documentation"),
            range("3fff::/20", "documentation"),
            range("fc00::/7", "unique local"),
            range("fe80::/10", "link-local"),
            range("fec0::/10", "site-local"),
            range("ff00::/8", "multicast"));

    private static final Range SIX_TO_FOUR = range("2002::/16", "6to4");

    private BlockedAddresses() {
    }

    /** Whether traffic to {@code address} must be refused. */
    public static boolean isBlocked(InetAddress address) {
        return isBlocked(address.getAddress());
    }

    /**
     * Whether traffic to the address with these raw bytes must be refused.
     *
     * @param address 4 (IPv4) or 16 (IPv6) bytes, network order; any other length is refused
     */
    public static boolean isBlocked(byte[] address) {
        return reason(address) != null;
    }

    /**
     * Why the address is blocked ("loopback", "IPv4-mapped IPv6", "6to4 of private" …), or null when it is
     * public. 4 or 16 bytes; anything else is "not an IP address".
     */
    public static String reason(byte[] address) {
        if (address == null || (address.length != 4 && address.length != 16)) {
            return "not an IP address";
        }
        for (Range range : RANGES) {
            if (range.contains(address)) {
                return range.name();
            }
        }
        if (SIX_TO_FOUR.contains(address)) {
            String inner = reason(new byte[] {address[2], address[3], address[4], address[5]});
            return inner == null ? null : "6to4 of " + inner;
        }
        return null;
    }

    private static Range range(String cidr, String name) {
        int slash = cidr.indexOf('/');
        String text = cidr.substring(0, slash);
        byte[] prefix = text.contains(":") ? HostSyntax.parseIpv6(text) : HostSyntax.parseCanonicalIpv4(text);
        if (prefix == null) {
            throw new IllegalStateException("bad range " + cidr);
        }
        return new Range(cidr, prefix, Integer.parseInt(cidr.substring(slash + 1)), name);
    }
}
