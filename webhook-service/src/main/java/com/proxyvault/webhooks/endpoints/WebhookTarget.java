package com.proxyvault.webhooks.endpoints;

import java.net.URI;

/**
 * A webhook URL that passed the syntax rules of {@link WebhookUrlPolicy}.
 *
 * @param host        DNS name (lowercase, no trailing dot) or IP literal, without the brackets of IPv6
 * @param literal     the bytes of an IP literal host (4 or 16, IPv4-mapped kept as IPv6), null for a DNS name
 * @param port        explicit port, or the scheme's default
 * @param allowlisted whether the host (or host:port) is in {@code proxyvault.webhooks.allowed-insecure-hosts}
 */
public record WebhookTarget(URI uri, String host, byte[] literal, int port, boolean https, boolean allowlisted) {

    /**
     * Whether {@link WebhookUrlPolicy#resolvePublicAddresses} has to ask DNS (blocking): only for a DNS name that is
     * not allowlisted. An IP literal is checked as it is, and an allowlisted host is not checked.
     */
    public boolean needsLookup() {
        return !allowlisted && literal == null;
    }
}
