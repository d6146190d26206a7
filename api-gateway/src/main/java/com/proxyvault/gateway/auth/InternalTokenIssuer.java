package com.proxyvault.gateway.auth;

import com.proxyvault.contracts.auth.InternalJwt;
import io.smallrye.jwt.build.Jwt;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Signs the internal JWTs the services trust. A token is reused while more than half of its life is
 * left, so a busy reseller costs one RSA signature per minute rather than one per request.
 */
@ApplicationScoped
public class InternalTokenIssuer {

    private final Duration ttl;
    private final Map<Long, Issued> resellerTokens = new ConcurrentHashMap<>();

    public InternalTokenIssuer(@ConfigProperty(name = "proxyvault.gateway.internal-token-ttl") Duration ttl) {
        this.ttl = ttl;
    }

    private record Issued(String token, long refreshAfterMillis) {
    }

    public String forReseller(long resellerId) {
        long now = System.currentTimeMillis();
        Issued issued = resellerTokens.get(resellerId);
        if (issued == null || now >= issued.refreshAfterMillis()) {
            String token = Jwt.issuer(InternalJwt.ISSUER)
                    .subject(Long.toString(resellerId))
                    .claim(InternalJwt.RESELLER_ID_CLAIM, resellerId)
                    .groups(InternalJwt.RESELLER_ROLE)
                    .expiresIn(ttl)
                    .sign();
            issued = new Issued(token, now + ttl.toMillis() / 2);
            resellerTokens.put(resellerId, issued);
        }
        return issued.token();
    }

    /** For operator calls the gateway makes on an operator's behalf (top-ups); never cached. */
    public String forOperator(String operator) {
        return Jwt.issuer(InternalJwt.ISSUER)
                .subject(operator)
                .groups(InternalJwt.OPERATOR_ROLE)
                .expiresIn(ttl)
                .sign();
    }
}
