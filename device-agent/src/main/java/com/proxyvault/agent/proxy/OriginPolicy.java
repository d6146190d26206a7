package com.proxyvault.agent.proxy;

import com.proxyvault.platform.net.BlockedAddresses;
import io.netty.util.NetUtil;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Which origins a customer may reach through a proxy. Customers choose the target, and the agent sits
 * on a farm host next to other services (and possibly a cloud metadata endpoint), so every address
 * {@link BlockedAddresses} calls non-public is refused, unless this agent's configuration allows it:
 * {@code agent.allowed-private-targets} lists host names (compared exactly, case-insensitively, with a
 * trailing dot ignored), IP addresses and CIDR blocks ({@code 10.1.0.0/16}, {@code fd00::/8}).
 *
 * <p>Looks at names and resolved addresses only and never resolves anything itself: {@link ProxyListener}
 * resolves the target asynchronously and connects to exactly the address this policy accepted.
 */
public final class OriginPolicy {

    private final Set<String> hostNames;
    private final List<Cidr> blocks;

    private OriginPolicy(Set<String> hostNames, List<Cidr> blocks) {
        this.hostNames = hostNames;
        this.blocks = blocks;
    }

    /** Refuses every non-public address: the production policy. */
    public static OriginPolicy publicOnly() {
        return new OriginPolicy(Set.of(), List.of());
    }

    /**
     * @param allowedPrivateTargets host names, IPs or CIDRs; blank entries are ignored
     * @throws IllegalArgumentException for an entry that is none of these (the agent does not start)
     */
    public static OriginPolicy allowing(List<String> allowedPrivateTargets) {
        Set<String> hostNames = new HashSet<>();
        List<Cidr> blocks = new ArrayList<>();
        for (String raw : allowedPrivateTargets) {
            String entry = raw.strip();
            if (entry.isEmpty()) {
                continue;
            }
            int slash = entry.indexOf('/');
            if (slash >= 0) {
                blocks.add(Cidr.parse(entry, entry.substring(0, slash), entry.substring(slash + 1)));
                continue;
            }
            byte[] literal = NetUtil.createByteArrayFromIpAddressString(stripBrackets(entry));
            if (literal != null) {
                blocks.add(new Cidr(literal, literal.length * 8));
            } else if (entry.indexOf(':') >= 0 || entry.indexOf(' ') >= 0) {
                throw new IllegalArgumentException("agent.allowed-private-targets: '" + entry
                        + "' is neither a host name, an IP address nor a CIDR block");
            } else {
                hostNames.add(normalizeHost(entry));
            }
        }
        return new OriginPolicy(Set.copyOf(hostNames), List.copyOf(blocks));
    }

    /**
     * @param requestedHost the host as the customer named it (without brackets)
     * @param resolved      the address it resolved to, which is the one that will be connected to
     */
    public boolean permits(String requestedHost, InetAddress resolved) {
        if (!BlockedAddresses.isBlocked(resolved)) {
            return true;
        }
        if (hostNames.contains(normalizeHost(requestedHost))) {
            return true;
        }
        byte[] address = resolved.getAddress();
        for (Cidr block : blocks) {
            if (block.contains(address)) {
                return true;
            }
        }
        return false;
    }

    private static String normalizeHost(String host) {
        String lower = host.toLowerCase(Locale.ROOT);
        return lower.endsWith(".") ? lower.substring(0, lower.length() - 1) : lower;
    }

    private static String stripBrackets(String host) {
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    private record Cidr(byte[] network, int prefixLength) {

        static Cidr parse(String entry, String address, String prefix) {
            byte[] network = NetUtil.createByteArrayFromIpAddressString(stripBrackets(address));
            int length;
            try {
                length = Integer.parseInt(prefix);
            } catch (NumberFormatException e) {
                length = -1;
            }
            if (network == null || length < 0 || length > network.length * 8) {
                throw new IllegalArgumentException("agent.allowed-private-targets: '" + entry + "' is not a valid CIDR block");
            }
            return new Cidr(network, length);
        }

        boolean contains(byte[] address) {
            if (address.length != network.length) {
                return false; // an IPv4 block never matches an IPv6 address and vice versa
            }
            int fullBytes = prefixLength / 8;
            for (int i = 0; i < fullBytes; i++) {
                if (address[i] != network[i]) {
                    return false;
                }
            }
            int remainingBits = prefixLength % 8;
            if (remainingBits == 0) {
                return true;
            }
            int mask = (0xff << (8 - remainingBits)) & 0xff;
            return (address[fullBytes] & mask) == (network[fullBytes] & mask);
        }
    }
}
