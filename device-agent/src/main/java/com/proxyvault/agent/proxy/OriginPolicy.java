package com.proxyvault.agent.proxy;

import com.proxyvault.platform.net.BlockedAddresses;
import io.netty.util.NetUtil;

import java.net.InetAddress;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Which origins a customer may reach through a proxy. Customers choose the target, and the agent sits
 * on a farm host next to other services (and possibly a cloud metadata endpoint), so every address
 * {@link BlockedAddresses} calls non-public is refused, unless this agent's configuration allows that
 * exact origin: {@code agent.allowed-private-targets} lists {@code host:port} entries, where host is a
 * name (compared exactly, case-insensitively, with a trailing dot ignored), an IPv4 address or a
 * bracketed IPv6 address ({@code 127.0.0.1:18080}, {@code localhost:18080}, {@code [::1]:18080}).
 * There is no way to open a whole host or network: the list is for the local stack's and the tests'
 * own origins, and is empty in production.
 *
 * <p>Looks at names and resolved addresses only and never resolves anything itself: {@link ProxyListener}
 * resolves the target asynchronously and connects to exactly the address this policy accepted.
 */
public final class OriginPolicy {

    /** "name:port" for listed host names, "hex of the address bytes:port" for listed addresses. */
    private final Set<String> hostNames;
    private final Set<String> addresses;

    private OriginPolicy(Set<String> hostNames, Set<String> addresses) {
        this.hostNames = hostNames;
        this.addresses = addresses;
    }

    /** Refuses every non-public address: the production policy. */
    public static OriginPolicy publicOnly() {
        return new OriginPolicy(Set.of(), Set.of());
    }

    /**
     * @param allowedPrivateTargets {@code host:port} entries; blank entries are ignored
     * @throws IllegalArgumentException for an entry that is not a host (name or IP) with a port, such as
     *         a bare host or a CIDR block (the agent does not start)
     */
    public static OriginPolicy allowing(List<String> allowedPrivateTargets) {
        Set<String> hostNames = new HashSet<>();
        Set<String> addresses = new HashSet<>();
        for (String raw : allowedPrivateTargets) {
            String entry = raw.strip();
            if (entry.isEmpty()) {
                continue;
            }
            int colon = entry.lastIndexOf(':');
            if (colon <= 0) {
                throw invalid(entry);
            }
            String host = entry.substring(0, colon);
            int port = port(entry, entry.substring(colon + 1));
            boolean bracketed = host.startsWith("[") && host.endsWith("]");
            byte[] literal = NetUtil.createByteArrayFromIpAddressString(bracketed ? host.substring(1, host.length() - 1) : host);
            if (literal != null && (bracketed || literal.length == 4)) {
                addresses.add(key(literal, port));
            } else if (literal == null && !bracketed && host.chars().noneMatch(c -> c == ':' || c == '/' || c == '['
                    || c == ']' || Character.isWhitespace(c))) {
                hostNames.add(normalizeHost(host) + ":" + port);
            } else {
                throw invalid(entry); // an unbracketed IPv6 address, a CIDR block, a bad literal
            }
        }
        return new OriginPolicy(Set.copyOf(hostNames), Set.copyOf(addresses));
    }

    /**
     * @param requestedHost the host as the customer named it (without brackets)
     * @param port          the port the customer asked for
     * @param resolved      the address it resolved to, which is the one that will be connected to
     */
    public boolean permits(String requestedHost, int port, InetAddress resolved) {
        if (!BlockedAddresses.isBlocked(resolved)) {
            return true;
        }
        return hostNames.contains(normalizeHost(requestedHost) + ":" + port)
                || addresses.contains(key(resolved.getAddress(), port));
    }

    private static String key(byte[] address, int port) {
        return HexFormat.of().formatHex(address) + ":" + port;
    }

    private static int port(String entry, String text) {
        try {
            int port = Integer.parseInt(text);
            if (port >= 1 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw invalid(entry);
    }

    private static IllegalArgumentException invalid(String entry) {
        return new IllegalArgumentException("agent.allowed-private-targets: '" + entry
                + "' is not host:port (a host name, an IPv4 address or a [bracketed] IPv6 address, and a port 1-65535)");
    }

    private static String normalizeHost(String host) {
        String lower = host.toLowerCase(Locale.ROOT);
        return lower.endsWith(".") ? lower.substring(0, lower.length() - 1) : lower;
    }
}
