package com.proxyvault.gateway.edge;

import io.netty.handler.ipfilter.IpFilterRuleType;
import io.netty.handler.ipfilter.IpSubnetFilterRule;
import io.netty.util.NetUtil;
import io.vertx.core.http.HttpServerRequest;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * The client's address for per-client rules (the failed-authentication throttle, docs/api.md "API keys"): the
 * TCP peer's, unless the peer is a trusted proxy ({@code proxyvault.gateway.edge.trusted-proxies}: CIDR blocks
 * such as the pod range ingress-nginx runs in; none by default). Then it is the right-most
 * {@code X-Forwarded-For} address that is not itself a trusted proxy: the address the outermost trusted proxy
 * saw. Entries further left are whatever the client sent and are never believed (the right-most-untrusted rule of
 * nginx's {@code real_ip_recursive}; MDN, X-Forwarded-For, "Security and privacy concerns"). An entry that is not
 * an IP literal ends the walk at the trusted hop that wrote it. Behind an Ingress without this, every client is
 * the controller's pod, and 20 bad keys a minute from anyone throttled everyone (deploy review).
 */
@Singleton
public class ClientAddresses {

    private static final String FORWARDED_FOR = "X-Forwarded-For";

    private final List<IpSubnetFilterRule> trustedProxies;

    /** @throws IllegalArgumentException at start for a block that is not {@code address[/prefix]} */
    @Inject
    public ClientAddresses(EdgeConfig config) {
        this(config.trustedProxies().orElse(List.of()));
    }

    ClientAddresses(List<String> trustedProxies) {
        this.trustedProxies = trustedProxies.stream().map(String::trim).filter(block -> !block.isEmpty())
                .map(ClientAddresses::block).toList();
    }

    /** The client address of {@code request} (an IP literal as {@link InetAddress#getHostAddress()} writes it). */
    public String of(HttpServerRequest request) {
        if (request.remoteAddress() == null) {
            return "unknown";
        }
        String peer = request.remoteAddress().hostAddress();
        return trustedProxies.isEmpty() ? peer : resolve(peer, request.headers().getAll(FORWARDED_FOR));
    }

    /** {@link #of} on its parts: the peer's address and every {@code X-Forwarded-For} header in order. */
    String resolve(String peer, List<String> forwardedFor) {
        InetAddress hop = NetUtil.createInetAddressFromIpAddressString(peer);
        if (hop == null || !trusted(hop)) {
            return peer;
        }
        String address = peer;
        for (int header = forwardedFor.size() - 1; header >= 0; header--) {
            String[] entries = forwardedFor.get(header).split(",");
            for (int entry = entries.length - 1; entry >= 0; entry--) {
                String text = entries[entry].trim();
                if (text.isEmpty()) {
                    continue;
                }
                hop = NetUtil.createInetAddressFromIpAddressString(text);
                if (hop == null) {
                    return address;
                }
                address = hop.getHostAddress();
                if (!trusted(hop)) {
                    return address;
                }
            }
        }
        return address;
    }

    private boolean trusted(InetAddress address) {
        InetSocketAddress socket = new InetSocketAddress(address, 0);
        for (IpSubnetFilterRule block : trustedProxies) {
            if (block.matches(socket)) {
                return true;
            }
        }
        return false;
    }

    private static IpSubnetFilterRule block(String text) {
        int slash = text.indexOf('/');
        String address = slash < 0 ? text : text.substring(0, slash);
        InetAddress parsed = NetUtil.createInetAddressFromIpAddressString(address);
        if (parsed == null) {
            throw new IllegalArgumentException("trusted-proxies: '" + text + "' is not an address or a CIDR block");
        }
        int width = parsed.getAddress().length * 8;
        int prefix;
        try {
            prefix = slash < 0 ? width : Integer.parseInt(text.substring(slash + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("trusted-proxies: '" + text + "' has no numeric prefix length");
        }
        if (prefix < 0 || prefix > width) {
            throw new IllegalArgumentException("trusted-proxies: '" + text + "' has a prefix length outside 0.." + width);
        }
        return new IpSubnetFilterRule(parsed, prefix, IpFilterRuleType.ACCEPT);
    }
}
