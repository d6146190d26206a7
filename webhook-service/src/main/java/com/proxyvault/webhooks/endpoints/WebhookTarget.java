package com.proxyvault.webhooks.endpoints;

import java.net.URI;

/**
 * A webhook URL that passed the syntax rules of {@link WebhookUrlPolicy}.
 *
 * @param host        host name or IP literal, without the brackets of an IPv6 literal
 * @param port        explicit port, or the scheme's default
 * @param allowlisted whether the host is in {@code proxyvault.webhooks.allowed-insecure-hosts}
 */
public record WebhookTarget(URI uri, String host, int port, boolean https, boolean allowlisted) {
}
