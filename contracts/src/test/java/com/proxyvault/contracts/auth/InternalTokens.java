package com.proxyvault.contracts.auth;

import io.smallrye.jwt.build.Jwt;
import io.smallrye.jwt.util.KeyUtils;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;

/**
 * Test helper (contracts test-jar): signs internal tokens with the local stack's dev key, exactly as the
 * gateway does, so a service can be tested on its own.
 */
public final class InternalTokens {

    private InternalTokens() {
    }

    public static String reseller(long resellerId) {
        return Jwt.issuer(InternalJwt.ISSUER)
                .subject(Long.toString(resellerId))
                .claim(InternalJwt.RESELLER_ID_CLAIM, resellerId)
                .groups(InternalJwt.RESELLER_ROLE)
                .expiresIn(300)
                .sign(devKey());
    }

    public static String operator() {
        return Jwt.issuer(InternalJwt.ISSUER)
                .subject("operator")
                .groups(InternalJwt.OPERATOR_ROLE)
                .expiresIn(300)
                .sign(devKey());
    }

    /** The local stack's key, {@code bin/dev-keys/internal-jwt-private.pem}: no jar carries a private key. */
    private static PrivateKey devKey() {
        Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        for (; dir != null; dir = dir.getParent()) {
            Path key = dir.resolve("bin/dev-keys/internal-jwt-private.pem");
            if (Files.isRegularFile(key)) {
                try {
                    return KeyUtils.decodePrivateKey(Files.readString(key));
                } catch (Exception e) {
                    throw new IllegalStateException("Cannot read the dev signing key " + key, e);
                }
            }
        }
        throw new IllegalStateException("bin/dev-keys/internal-jwt-private.pem not found above " + System.getProperty("user.dir"));
    }
}
