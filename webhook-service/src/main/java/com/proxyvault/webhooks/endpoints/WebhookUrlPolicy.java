package com.proxyvault.webhooks.endpoints;

import com.proxyvault.platform.http.ApiException;
import com.proxyvault.platform.net.BlockedAddresses;
import com.proxyvault.webhooks.WebhooksConfig;
import jakarta.enterprise.context.ApplicationScoped;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which URLs a webhook may point at. Checked at registration (422 with the reason) and again by the
 * dispatcher right before it connects, because DNS can change after registration.
 *
 * <ul>
 *   <li>absolute {@code https://} URL with a host, no credentials, an explicit port (if any) in 1..65535,
 *       at most {@value #MAX_LENGTH} characters;</li>
 *   <li>every address the host resolves to must be public ({@link BlockedAddresses});</li>
 *   <li>hosts in {@code proxyvault.webhooks.allowed-insecure-hosts} skip both the HTTPS rule and the
 *       address check: that is how the local stack and the tests reach a receiver on 127.0.0.1.</li>
 * </ul>
 */
@ApplicationScoped
public class WebhookUrlPolicy {

    static final int MAX_LENGTH = 2048;

    private final Set<String> allowedInsecureHosts;

    public WebhookUrlPolicy(WebhooksConfig config) {
        this.allowedInsecureHosts = config.allowedInsecureHosts().orElse(Set.of()).stream()
                .map(host -> stripBrackets(host.strip()).toLowerCase(Locale.ROOT))
                .filter(host -> !host.isEmpty())
                .collect(Collectors.toUnmodifiableSet());
    }

    /** Syntax and scheme rules only (no DNS); throws a 422 naming what is wrong. */
    public WebhookTarget parse(String url) {
        if (url.length() > MAX_LENGTH) {
            throw ApiException.unprocessable("url must be at most " + MAX_LENGTH + " characters");
        }
        URI uri;
        try {
            uri = new URI(url.strip());
        } catch (URISyntaxException e) {
            throw ApiException.unprocessable("url is not a valid URL: " + e.getReason());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!uri.isAbsolute() || !(scheme.equals("https") || scheme.equals("http"))) {
            throw ApiException.unprocessable("url must be an absolute https:// URL");
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw ApiException.unprocessable("url must name a host");
        }
        if (uri.getRawUserInfo() != null) {
            throw ApiException.unprocessable("url must not contain credentials");
        }
        String host = stripBrackets(uri.getHost()).toLowerCase(Locale.ROOT);
        boolean https = scheme.equals("https");
        boolean allowlisted = allowedInsecureHosts.contains(host);
        if (!https && !allowlisted) {
            throw ApiException.unprocessable("url must use https");
        }
        if (uri.getPort() != -1 && (uri.getPort() < 1 || uri.getPort() > 65535)) {
            throw ApiException.unprocessable("url port must be between 1 and 65535");
        }
        int port = uri.getPort() != -1 ? uri.getPort() : (https ? 443 : 80);
        return new WebhookTarget(uri, host, port, https, allowlisted);
    }

    /**
     * Resolves the host and returns its addresses if all of them are public. BLOCKING (DNS): call it off the
     * event loop. An allowlisted host is not checked and returns an empty list (let the HTTP client resolve it).
     */
    public List<InetAddress> resolvePublicAddresses(WebhookTarget target) {
        if (target.allowlisted()) {
            return List.of();
        }
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(target.host());
        } catch (UnknownHostException e) {
            throw new UnsafeWebhookTargetException("Webhook host " + target.host() + " does not resolve");
        }
        // All of them, not just the first: a client may pick any, and an attacker controls the DNS answer.
        for (InetAddress address : addresses) {
            if (BlockedAddresses.isBlocked(address)) {
                throw new UnsafeWebhookTargetException("Webhook host " + target.host()
                        + " resolves to a private, loopback, link-local or otherwise non-public address");
            }
        }
        return List.of(addresses);
    }

    private static String stripBrackets(String host) {
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }
}
