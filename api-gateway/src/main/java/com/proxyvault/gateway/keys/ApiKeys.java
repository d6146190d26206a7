package com.proxyvault.gateway.keys;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/** Making and hashing {@code rv_} keys. */
public final class ApiKeys {

    public static final String PREFIX = "rv_";
    private static final SecureRandom RANDOM = new SecureRandom();

    private ApiKeys() {
    }

    /** {@code rv_} + 24 random bytes, base64url: 35 characters. */
    public static String newKey() {
        byte[] secret = new byte[24];
        RANDOM.nextBytes(secret);
        return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    }

    public static String hash(String key) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** What we keep to let a person recognise a key without being able to use it. */
    public static String displayPrefix(String key) {
        return key.substring(0, Math.min(key.length(), 10));
    }
}
