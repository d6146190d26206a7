package com.proxyvault.gateway.auth;

import com.proxyvault.contracts.auth.InternalJwt;
import io.smallrye.jwt.build.Jwt;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Signs the internal JWTs the services trust (docs/api.md, "Service trust"): RS256, issuer
 * {@value InternalJwt#ISSUER}, audience = the service the request is for ({@link #AUDIENCES}), life at
 * most {@link InternalJwt#MAX_TTL_SECONDS} seconds. A reseller's token for a service is reused while
 * more than half of its life is left, so a busy reseller costs one RSA signature per service every
 * 30 s rather than one per request.
 */
@ApplicationScoped
public class InternalTokenIssuer {

    /**
     * Audiences by upstream name (the keys of {@code proxyvault.routing.upstreams}). order-service's
     * tokens also name billing-service: it passes the caller's token on to charge that reseller.
     */
    public static final Map<String, Set<String>> AUDIENCES = Map.of(
            "billing", Set.of(InternalJwt.AUDIENCE_BILLING),
            "orders", Set.of(InternalJwt.AUDIENCE_ORDERS, InternalJwt.AUDIENCE_BILLING),
            "fleet", Set.of(InternalJwt.AUDIENCE_FLEET),
            "webhooks", Set.of(InternalJwt.AUDIENCE_WEBHOOKS));

    private final Duration ttl;
    private final Clock clock;
    private final Map<String, Issued> resellerTokens = new ConcurrentHashMap<>();

    public InternalTokenIssuer(@ConfigProperty(name = "proxyvault.gateway.internal-token-ttl") Duration ttl, Clock clock) {
        if (ttl.isNegative() || ttl.isZero() || ttl.toSeconds() > InternalJwt.MAX_TTL_SECONDS) {
            throw new IllegalArgumentException("proxyvault.gateway.internal-token-ttl must be 1.."
                    + InternalJwt.MAX_TTL_SECONDS + " s, was " + ttl);
        }
        this.ttl = ttl;
        this.clock = clock;
    }

    private record Issued(String token, long refreshAfterMillis) {
    }

    /** A token acting for {@code resellerId} at upstream {@code service} (billing, orders, fleet, webhooks). */
    public String forReseller(long resellerId, String service) {
        long now = clock.millis();
        String cacheKey = service + ':' + resellerId;
        Issued issued = resellerTokens.get(cacheKey);
        if (issued == null || now >= issued.refreshAfterMillis()) {
            String token = Jwt.issuer(InternalJwt.ISSUER)
                    .subject(Long.toString(resellerId))
                    .audience(audiences(service))
                    .claim(InternalJwt.RESELLER_ID_CLAIM, resellerId)
                    .groups(InternalJwt.RESELLER_ROLE)
                    .issuedAt(now / 1000)
                    .expiresAt(now / 1000 + ttl.toSeconds())
                    .sign();
            issued = new Issued(token, now + ttl.toMillis() / 2);
            resellerTokens.put(cacheKey, issued);
        }
        return issued.token();
    }

    /** For operator calls the gateway makes on an operator's behalf (top-ups, dead letters); never cached. */
    public String forOperator(String operator, String service) {
        long now = clock.millis();
        return Jwt.issuer(InternalJwt.ISSUER)
                .subject(operator)
                .audience(audiences(service))
                .groups(InternalJwt.OPERATOR_ROLE)
                .issuedAt(now / 1000)
                .expiresAt(now / 1000 + ttl.toSeconds())
                .sign();
    }

    private static Set<String> audiences(String service) {
        Set<String> audiences = AUDIENCES.get(service);
        if (audiences == null) {
            throw new IllegalArgumentException("No audience for upstream " + service);
        }
        return audiences;
    }
}
