package com.proxyvault.gateway.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;

import jakarta.inject.Singleton;

/**
 * Hands the reseller the public port authenticated to the gateway's own resources ({@code /v1/reseller/keys})
 * in the same process: a request header {@value #HEADER} holding {@code <secret>:<reseller id>}, where the
 * secret is 32 random bytes made at start and never leaves this JVM. The public port removes the header
 * from every incoming request first, so a client cannot name a reseller itself.
 */
@Singleton
public class EdgeIdentity {

    public static final String HEADER = "X-ProxyVault-Edge-Reseller";

    private final String secret;

    public EdgeIdentity() {
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        this.secret = HexFormat.of().formatHex(random);
    }

    /** The header value that vouches for {@code resellerId}. */
    public String assertionFor(long resellerId) {
        return secret + ":" + resellerId;
    }

    /** The reseller a header value vouches for, or null when it is missing or not ours. */
    public Long verify(String assertion) {
        if (assertion == null || assertion.length() <= secret.length() + 1 || assertion.charAt(secret.length()) != ':') {
            return null;
        }
        byte[] presented = assertion.substring(0, secret.length()).getBytes(StandardCharsets.US_ASCII);
        if (!MessageDigest.isEqual(presented, secret.getBytes(StandardCharsets.US_ASCII))) {
            return null;
        }
        try {
            return Long.parseLong(assertion.substring(secret.length() + 1));
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
