package com.proxyvault.platform.auth;

import com.proxyvault.contracts.auth.InternalJwt;
import io.smallrye.jwt.build.Jwt;
import io.smallrye.jwt.util.KeyUtils;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;

/**
 * Test helper (platform test-jar): signs internal tokens exactly as the gateway does, so a service can be
 * tested on its own. The key is the local stack's dev key, {@code bin/dev-keys/internal-jwt-private.pem},
 * found by walking up from the working directory: no private key is ever packaged in a jar.
 */
public final class InternalTokens {

    private static final Path DEV_KEY = Path.of("bin", "dev-keys", "internal-jwt-private.pem");

    private InternalTokens() {
    }

    /** A token acting for {@code resellerId} (group {@code reseller}), valid 5 minutes. */
    public static String reseller(long resellerId) {
        return Jwt.issuer(InternalJwt.ISSUER)
                .subject(Long.toString(resellerId))
                .claim(InternalJwt.RESELLER_ID_CLAIM, resellerId)
                .groups(InternalJwt.RESELLER_ROLE)
                .expiresIn(300)
                .sign(devKey());
    }

    /** A token for operator calls (group {@code operator}), valid 5 minutes. */
    public static String operator() {
        return Jwt.issuer(InternalJwt.ISSUER)
                .subject("operator")
                .groups(InternalJwt.OPERATOR_ROLE)
                .expiresIn(300)
                .sign(devKey());
    }

    private static PrivateKey devKey() {
        try {
            return KeyUtils.decodePrivateKey(Files.readString(locate()));
        } catch (Exception e) {
            throw new IllegalStateException("Cannot read the dev signing key " + DEV_KEY, e);
        }
    }

    private static Path locate() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve(DEV_KEY);
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException(DEV_KEY + " not found above " + Path.of("").toAbsolutePath());
    }
}
