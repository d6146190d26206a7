package com.proxyvault.contracts.auth;

import io.smallrye.jwt.build.Jwt;
import io.smallrye.jwt.util.KeyUtils;

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

    private static PrivateKey devKey() {
        try {
            return KeyUtils.readPrivateKey("internal-jwt/dev-private.pem");
        } catch (Exception e) {
            throw new IllegalStateException("Cannot read the dev signing key", e);
        }
    }
}
