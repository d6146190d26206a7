package com.proxyvault.platform.auth;

import com.proxyvault.contracts.auth.InternalJwt;
import io.smallrye.jwt.auth.principal.DefaultJWTParser;
import io.smallrye.jwt.auth.principal.JWTAuthContextInfo;
import io.smallrye.jwt.auth.principal.JWTParser;
import io.smallrye.jwt.auth.principal.ParseException;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Alternative;
import jakarta.inject.Inject;
import org.eclipse.microprofile.jwt.JsonWebToken;

import javax.crypto.SecretKey;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@link JWTParser} every service's bearer-token check uses (smallrye-jwt injects it into its
 * validator): smallrye-jwt's own {@link DefaultJWTParser}, plus a memory of the internal tokens it has
 * already verified. The gateway reuses one token per reseller and service for half of its 60 s life
 * (InternalTokenIssuer), so a busy reseller presents the same string again and again; verifying its RS256
 * signature and claims anew each time cost 7-10 % of order-service's and billing-service's CPU per purchase
 * (docs/benchmarks.md, "bench/pay", JFR).
 * <p>
 * Rules: only a token that passed the full verification is remembered, keyed by its exact text (any other
 * byte is another key, verified from scratch); it is served from memory only until the earlier of its
 * {@code exp} and {@code iat} + {@link InternalJwt#MAX_TTL_SECONDS} (the longest life smallrye-jwt accepts
 * here, {@code smallrye.jwt.time-to-live}), read on the injected {@link Clock}; after that it goes back
 * through the full verification, which refuses it. Failures are never remembered. At most
 * {@link #MAX_ENTRIES} tokens are kept: when full, expired ones are dropped, and if none is, everything is
 * (memory stays bounded whatever callers send). Every other {@link JWTParser} method goes straight to the
 * delegate.
 */
@Alternative
@Priority(1)
@ApplicationScoped
public class VerifiedTokenCache implements JWTParser {

    /** Tokens kept at once: one per (reseller, service) in use is far below this. */
    static final int MAX_ENTRIES = 10_000;

    private final JWTParser delegate;
    private final Clock clock;
    private final Map<String, Verified> verified = new ConcurrentHashMap<>();

    private record Verified(JsonWebToken token, long usableUntilMillis) {
    }

    @Inject
    public VerifiedTokenCache(DefaultJWTParser delegate, Clock clock) {
        this((JWTParser) delegate, clock);
    }

    /** For tests: any delegate. */
    VerifiedTokenCache(JWTParser delegate, Clock clock) {
        this.delegate = delegate;
        this.clock = clock;
    }

    /** The verified token, from memory when this exact text was verified before and is still usable. */
    @Override
    public JsonWebToken parse(String token) throws ParseException {
        long now = clock.millis();
        Verified known = verified.get(token);
        if (known != null && now < known.usableUntilMillis()) {
            return known.token();
        }
        JsonWebToken parsed = delegate.parse(token);
        remember(token, parsed, now);
        return parsed;
    }

    /** Another verification context (key, issuer …): never from memory. */
    @Override
    public JsonWebToken parse(String token, JWTAuthContextInfo context) throws ParseException {
        return delegate.parse(token, context);
    }

    private void remember(String token, JsonWebToken parsed, long now) {
        long usableUntil = Math.min(parsed.getExpirationTime(),
                parsed.getIssuedAtTime() + InternalJwt.MAX_TTL_SECONDS) * 1000L;
        if (usableUntil <= now) {
            return;
        }
        if (verified.size() >= MAX_ENTRIES) {
            verified.values().removeIf(entry -> entry.usableUntilMillis() <= now);
            if (verified.size() >= MAX_ENTRIES) {
                verified.clear();
            }
        }
        verified.put(token, new Verified(parsed, usableUntil));
    }

    /** How many tokens are remembered now (tests). */
    int size() {
        return verified.size();
    }

    @Override
    public JsonWebToken verify(String token, PublicKey key) throws ParseException {
        return delegate.verify(token, key);
    }

    @Override
    public JsonWebToken verify(String token, SecretKey key) throws ParseException {
        return delegate.verify(token, key);
    }

    @Override
    public JsonWebToken verify(String token, String secret) throws ParseException {
        return delegate.verify(token, secret);
    }

    @Override
    public JsonWebToken decrypt(String token, PrivateKey key) throws ParseException {
        return delegate.decrypt(token, key);
    }

    @Override
    public JsonWebToken decrypt(String token, SecretKey key) throws ParseException {
        return delegate.decrypt(token, key);
    }

    @Override
    public JsonWebToken decrypt(String token, String secret) throws ParseException {
        return delegate.decrypt(token, secret);
    }

    @Override
    public JsonWebToken parseOnly(String token) throws ParseException {
        return delegate.parseOnly(token);
    }
}
