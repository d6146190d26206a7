package com.proxyvault.agent.proxy;

/** A target named in a proxy request: {@code host}, {@code host:port} or {@code [v6]:port}. */
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
