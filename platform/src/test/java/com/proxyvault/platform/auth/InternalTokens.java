package com.proxyvault.platform.auth;

import com.proxyvault.contracts.auth.InternalJwt;
import io.smallrye.jwt.build.Jwt;
import io.smallrye.jwt.build.JwtClaimsBuilder;
import io.smallrye.jwt.util.KeyUtils;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Test helper (platform test-jar): signs internal tokens exactly as the gateway does, so a service can be
 * tested on its own. Every token names its audience ({@code aud}) and lives {@link InternalJwt#MAX_TTL_SECONDS}
 * seconds, as the services require (docs/api.md "Service trust"). Start from the service under test:
 * {@code InternalTokens.billing().reseller(7)}, {@code InternalTokens.orders().operator()};
 * {@link #to(String...)} for any other audience (a wrong one in a test of the refusal), and
 * {@link Minter#livingSeconds(long)} for a token that lives too long. The key is the local stack's dev key,
 * {@code bin/dev-keys/internal-jwt-private.pem}, found by walking up from the working directory: no private
 * key is ever packaged in a jar.
 */
public final class InternalTokens {

    private static final Path DEV_KEY = Path.of("bin", "dev-keys", "internal-jwt-private.pem");

    private InternalTokens() {
    }

    /** Tokens for billing-service. */
    public static Minter billing() {
        return to(InternalJwt.AUDIENCE_BILLING);
    }

    /** Tokens for order-service; like the gateway's, they also name billing-service (order → billing charge). */
    public static Minter orders() {
        return to(InternalJwt.AUDIENCE_ORDERS, InternalJwt.AUDIENCE_BILLING);
    }

    /** Tokens for proxy-fleet-service. */
    public static Minter fleet() {
        return to(InternalJwt.AUDIENCE_FLEET);
    }

    /** Tokens for webhook-service. */
    public static Minter webhooks() {
        return to(InternalJwt.AUDIENCE_WEBHOOKS);
    }

    /** Tokens naming exactly {@code audiences}. */
    public static Minter to(String... audiences) {
        return new Minter(new LinkedHashSet<>(Arrays.asList(audiences)), InternalJwt.MAX_TTL_SECONDS);
    }

    /** Mints tokens for fixed audiences and lifetime (seconds from {@code iat} to {@code exp}). */
    public record Minter(Set<String> audiences, long ttlSeconds) {

        /** The same audiences, another lifetime. */
        public Minter livingSeconds(long seconds) {
            return new Minter(audiences, seconds);
        }

        /** A token acting for {@code resellerId} (group {@code reseller}). */
        public String reseller(long resellerId) {
            return sign(Jwt.issuer(InternalJwt.ISSUER)
                    .subject(Long.toString(resellerId))
                    .claim(InternalJwt.RESELLER_ID_CLAIM, resellerId)
                    .groups(InternalJwt.RESELLER_ROLE));
        }

        /** A token for operator calls (group {@code operator}). */
        public String operator() {
            return sign(Jwt.issuer(InternalJwt.ISSUER)
                    .subject("operator")
                    .groups(InternalJwt.OPERATOR_ROLE));
        }

        private String sign(JwtClaimsBuilder claims) {
            long now = System.currentTimeMillis() / 1000;
            return claims.audience(audiences).issuedAt(now).expiresAt(now + ttlSeconds).sign(devKey());
        }
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
