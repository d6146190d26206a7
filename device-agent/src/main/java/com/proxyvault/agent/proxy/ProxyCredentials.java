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

    /**
     * Checks a username/password pair as SOCKS5 sends it (RFC 1929 section 2). Both are compared in
     * constant time, and both always, so timing tells nothing about which one was wrong.
     */
    public boolean accepts(String presentedUsername, String presentedPassword) {
        if (presentedUsername == null || presentedPassword == null) {
            return false;
        }
        boolean userMatches = MessageDigest.isEqual(presentedUsername.getBytes(StandardCharsets.UTF_8), username.getBytes(StandardCharsets.UTF_8));
        boolean passwordMatches = MessageDigest.isEqual(presentedPassword.getBytes(StandardCharsets.UTF_8), password.getBytes(StandardCharsets.UTF_8));
        return userMatches & passwordMatches;
    }

    @Override
    public String toString() {
        return "ProxyCredentials[username=" + username + ", password=***]";
    }
}
