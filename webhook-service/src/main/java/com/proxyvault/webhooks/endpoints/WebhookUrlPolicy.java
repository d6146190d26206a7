package com.proxyvault.webhooks.endpoints;

import com.proxyvault.platform.http.ApiException;
import com.proxyvault.platform.net.BlockedAddresses;
import com.proxyvault.platform.net.HostResolver;
import com.proxyvault.platform.net.HostSyntax;
import com.proxyvault.webhooks.WebhooksConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Which URLs a webhook may point at (issue 9 item 5, docs/webhooks.md "URL rules"). Checked at
 * registration (422 with the reason) and again by the dispatcher right before every attempt, because DNS
 * can change after registration.
 *
 * <ul>
 *   <li>absolute {@code https://} URL, at most {@value #MAX_LENGTH} characters, no {@code user:password@},
 *       an explicit port (if any) in 1..65535;</li>
 *   <li>sendable as written, because it is stored and sent as given: ASCII only (a non-ASCII character
 *       percent-encoded as UTF-8, {@code ü} as {@code %C3%BC}; an international host in its {@code xn--}
 *       form), no space, and no fragment ({@code #...} is never sent in HTTP, RFC 9110 §7.1). Refused
 *       rather than rewritten, like Stripe and svix do: the reseller sees the URL we will call, and
 *       receivers disagree on raw UTF-8 request targets (Node answers 400);</li>
 *   <li>the host is a DNS name, a canonical dotted-quad IPv4 address or a bracketed IPv6 address
 *       ({@link HostSyntax}): octal, hex, integer and short IPv4 spellings are refused outright;</li>
 *   <li>an IP literal must not be in {@link BlockedAddresses}; a DNS name must resolve, and every address
 *       it resolves to must be public (not just the first: the client may pick any, and the DNS answer is
 *       the attacker's);</li>
 *   <li>entries of {@code proxyvault.webhooks.allowed-insecure-hosts} ({@code host} for every port or
 *       {@code host:port}, {@code [::1]:port} for IPv6) skip the HTTPS rule and the address check: that is
 *       how the local stack and the tests reach a receiver on 127.0.0.1. Empty in production.</li>
 * </ul>
 */
@ApplicationScoped
public class WebhookUrlPolicy {

    static final int MAX_LENGTH = 2048;

    private final Set<String> allowedHosts;
    private final Set<String> allowedHostPorts;
    private final HostResolver resolver;

    @Inject
    public WebhookUrlPolicy(WebhooksConfig config, HostResolver resolver) {
        this(config.allowedInsecureHosts().orElse(Set.of()), resolver);
    }

    /**
     * @param allowedInsecure entries {@code host} or {@code host:port} (IPv6 as {@code [addr]:port})
     * @param resolver        what DNS names resolve to ({@link HostResolver#SYSTEM} in production)
     */
    public WebhookUrlPolicy(Set<String> allowedInsecure, HostResolver resolver) {
        this.resolver = resolver;
        Set<String> hosts = new HashSet<>();
        Set<String> hostPorts = new HashSet<>();
        for (String raw : allowedInsecure) {
            String entry = raw.strip().toLowerCase(Locale.ROOT);
            if (entry.isEmpty()) {
                continue;
            }
            int bracket = entry.indexOf(']');
            int colon = entry.lastIndexOf(':');
            boolean hasPort = entry.startsWith("[") ? bracket > 0 && colon == bracket + 1 : colon > 0 && entry.indexOf(':') == colon;
            if (hasPort) {
                hostPorts.add(stripBrackets(entry.substring(0, colon)) + ":" + entry.substring(colon + 1));
            } else {
                hosts.add(stripBrackets(entry));
            }
        }
        this.allowedHosts = Set.copyOf(hosts);
        this.allowedHostPorts = Set.copyOf(hostPorts);
    }

    /** Syntax, scheme and host-spelling rules (no DNS); throws a 422 naming what is wrong. */
    public WebhookTarget parse(String url) {
        if (url.length() > MAX_LENGTH) {
            throw ApiException.unprocessable("url must be at most " + MAX_LENGTH + " characters");
        }
        String candidate = url.strip();
        requireAscii(candidate);
        URI uri;
        try {
            uri = new URI(candidate);
        } catch (URISyntaxException e) {
            throw ApiException.unprocessable("url is not a valid URL: " + e.getReason());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!uri.isAbsolute() || uri.isOpaque() || !(scheme.equals("https") || scheme.equals("http"))) {
            throw ApiException.unprocessable("url must be an absolute https:// URL");
        }
        String authority = uri.getRawAuthority();
        if (authority == null || authority.isEmpty()) {
            throw ApiException.unprocessable("url must name a host");
        }
        if (authority.indexOf('@') >= 0) {
            throw ApiException.unprocessable("url must not contain credentials");
        }
        if (uri.getRawFragment() != null) {
            throw ApiException.unprocessable("url must not contain a fragment (#...): it is never sent in an HTTP request");
        }
        // Split host and port ourselves: java.net.URI gives no host at all for spellings it finds odd
        // (0x7f.0.0.1), and we want to name the reason.
        String rawHost = authority;
        String rawPort = "";
        if (authority.startsWith("[")) {
            int close = authority.indexOf(']');
            if (close < 0) {
                throw ApiException.unprocessable("url host is not a valid bracketed IPv6 address");
            }
            rawHost = authority.substring(0, close + 1);
            String rest = authority.substring(close + 1);
            if (!rest.isEmpty() && !rest.startsWith(":")) {
                throw ApiException.unprocessable("url must name a host");
            }
            rawPort = rest.isEmpty() ? "" : rest.substring(1);
        } else if (authority.indexOf(':') >= 0) {
            rawHost = authority.substring(0, authority.lastIndexOf(':'));
            rawPort = authority.substring(authority.lastIndexOf(':') + 1);
        }
        HostSyntax.Host host;
        try {
            host = HostSyntax.parse(rawHost);
        } catch (IllegalArgumentException e) {
            throw ApiException.unprocessable(e.getMessage());
        }
        if (uri.getHost() == null) {
            throw ApiException.unprocessable("url host '" + rawHost + "' is not a valid host name");
        }
        boolean https = scheme.equals("https");
        int port;
        if (rawPort.isEmpty()) {
            port = https ? 443 : 80;
        } else if (rawPort.length() > 5 || !rawPort.chars().allMatch(c -> c >= '0' && c <= '9')
                || Integer.parseInt(rawPort) < 1 || Integer.parseInt(rawPort) > 65535) {
            throw ApiException.unprocessable("url port must be between 1 and 65535");
        } else {
            port = Integer.parseInt(rawPort);
        }
        boolean allowlisted = allowedHosts.contains(host.name()) || allowedHostPorts.contains(host.name() + ":" + port);
        if (!https && !allowlisted) {
            throw ApiException.unprocessable("url must use https");
        }
        return new WebhookTarget(uri, host.name(), host.address(), port, https, allowlisted);
    }

    /**
     * The addresses to connect to, if all of them are public: the literal itself, or every address the
     * name resolves to now. BLOCKING (DNS): call it off the event loop. An allowlisted host is not checked
     * and returns an empty list (the HTTP client resolves it).
     *
     * @throws UnsafeWebhookTargetException naming the host and why (which range), or that it does not resolve
     */
    public List<InetAddress> resolvePublicAddresses(WebhookTarget target) {
        if (target.allowlisted()) {
            return List.of();
        }
        if (target.literal() != null) {
            String reason = BlockedAddresses.reason(target.literal());
            if (reason != null) {
                throw new UnsafeWebhookTargetException("Webhook host " + target.host() + " is a non-public address (" + reason + ")");
            }
            try {
                return List.of(InetAddress.getByAddress(target.literal()));
            } catch (UnknownHostException e) {
                throw new IllegalStateException(e); // 4 or 16 bytes are always an address
            }
        }
        List<InetAddress> addresses;
        try {
            addresses = resolver.resolve(target.host());
        } catch (UnknownHostException e) {
            throw new UnsafeWebhookTargetException("Webhook host " + target.host() + " does not resolve");
        }
        if (addresses.isEmpty()) {
            throw new UnsafeWebhookTargetException("Webhook host " + target.host() + " does not resolve");
        }
        for (InetAddress address : addresses) {
            String reason = BlockedAddresses.reason(address.getAddress());
            if (reason != null) {
                throw new UnsafeWebhookTargetException("Webhook host " + target.host()
                        + " resolves to a non-public address (" + reason + ")");
            }
        }
        return List.copyOf(addresses);
    }

    /**
     * 422 naming the first non-ASCII character: {@link URI} accepts them raw (RFC 2396 "other" characters),
     * but an HTTP request target is ASCII (RFC 3986 §2, RFC 9112 §3.2) and a raw UTF-8 target is refused by
     * receivers (Node: 400). Refused rather than percent-encoded for the reseller: what is stored is what
     * is sent, and what the list shows. Space and the ASCII characters RFC 3986 forbids are left to
     * {@link URI}, which refuses them ("Illegal character in path").
     */
    private static void requireAscii(String url) {
        for (int i = 0; i < url.length(); i++) {
            if (url.charAt(i) > 0x7E) {
                // the code point, not the character: it may be invisible (U+00A0) or a C1 control
                throw ApiException.unprocessable("url must contain only ASCII characters, found U+"
                        + String.format("%04X", url.codePointAt(i)) + " at index " + i
                        + ": percent-encode it as UTF-8 (ü as %C3%BC) in the path or query,"
                        + " and write an international host name in its xn-- (punycode) form");
            }
        }
    }

    private static String stripBrackets(String host) {
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }
}
