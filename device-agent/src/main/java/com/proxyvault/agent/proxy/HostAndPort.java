package com.proxyvault.agent.proxy;

/**
 * A target named in a proxy request: {@code host}, {@code host:port} or {@code [v6]:port} (RFC 3986 3.2.2 authority,
 * without userinfo; RFC 9110 7.2 / 9.3.6). {@code host} is a name, an IPv4 literal or an IPv6 literal without its
 * brackets; {@code port} is 1-65535.
 */
record HostAndPort(String host, int port) {

    /**
     * @param defaultPort the port when none is given, or -1 when one is required (CONNECT)
     * @throws IllegalArgumentException when the authority can't be a target
     */
    static HostAndPort parse(String authority, int defaultPort) {
        String value = authority.trim();
        int at = value.lastIndexOf('@');
        if (at >= 0) {
            value = value.substring(at + 1); // userinfo belongs to the origin, not to us
        }
        String host;
        String portText = null;
        if (value.startsWith("[")) {
            int close = value.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("Unclosed IPv6 literal in '" + authority + "'");
            }
            host = value.substring(1, close);
            if (value.length() > close + 1) {
                if (value.charAt(close + 1) != ':') {
                    throw new IllegalArgumentException("Garbage after IPv6 literal in '" + authority + "'");
                }
                portText = value.substring(close + 2);
            }
        } else {
            int colon = value.lastIndexOf(':');
            host = colon < 0 ? value : value.substring(0, colon);
            portText = colon < 0 ? null : value.substring(colon + 1);
            if (host.indexOf(':') >= 0) {
                // RFC 3986 3.2.2: an IPv6 address in an authority is an IP-literal, in brackets. Without them
                // "::1:8080" has no single reading (host "::1" port 8080, or host "::1:8080" and no port).
                throw new IllegalArgumentException("IPv6 address without brackets in '" + authority + "' (use [v6]:port)");
            }
        }
        if (host.isEmpty()) {
            throw new IllegalArgumentException("No host in '" + authority + "'");
        }
        int port;
        if (portText == null || portText.isEmpty()) {
            if (defaultPort < 0) {
                throw new IllegalArgumentException("No port in '" + authority + "'");
            }
            port = defaultPort;
        } else {
            try {
                port = Integer.parseInt(portText);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("Bad port in '" + authority + "'");
            }
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("Port out of range in '" + authority + "'");
        }
        return new HostAndPort(host, port);
    }
}
