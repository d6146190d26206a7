package com.proxyvault.agent.proxy;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;

/** The one username/password pair a proxy listener accepts. */
public record ProxyCredentials(String username, String password) {

    private static final String BASIC_PREFIX = "basic ";

    /** Checks a {@code Proxy-Authorization} header value; a missing or malformed one never matches. */
    public boolean acceptsProxyAuthorization(String headerValue) {
        if (headerValue == null || headerValue.length() <= BASIC_PREFIX.length()
                || !headerValue.regionMatches(true, 0, BASIC_PREFIX, 0, BASIC_PREFIX.length())) {
            return false;
        }
        byte[] presented;
        try {
            presented = Base64.getDecoder().decode(headerValue.substring(BASIC_PREFIX.length()).trim());
        } catch (IllegalArgumentException notBase64) {
            return false;
        }
        byte[] expected = (username + ":" + password).getBytes(StandardCharsets.UTF_8);
        // Constant time, so response timing doesn't leak how much of a guess was right.
        return MessageDigest.isEqual(presented, expected);
    }

    @Override
    public String toString() {
        return "ProxyCredentials[username=" + username + ", password=***]";
    }
}
