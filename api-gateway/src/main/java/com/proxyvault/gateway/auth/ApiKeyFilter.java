package com.proxyvault.gateway.auth;

import com.proxyvault.platform.http.ApiExceptionMappers;
import com.proxyvault.gateway.keys.ApiKeyService;
import com.proxyvault.gateway.keys.ApiKeys;
import com.proxyvault.gateway.ratelimit.RateLimiter;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Every {@code /v1/reseller/*} request needs {@code Authorization: Bearer rv_...} naming a live key, and
 * fits in the key's 60 requests per minute. Both checks come before anything is forwarded.
 */
public class ApiKeyFilter {

    private static final String RESELLER_PATH = "/v1/reseller";

    private final ApiKeyService keys;
    private final RateLimiter rateLimiter;
    private final AuthenticatedReseller caller;

    public ApiKeyFilter(ApiKeyService keys, RateLimiter rateLimiter, AuthenticatedReseller caller) {
        this.keys = keys;
        this.rateLimiter = rateLimiter;
        this.caller = caller;
    }

    @ServerRequestFilter(preMatching = true)
    public Uni<Response> authenticate(ContainerRequestContext request) {
        String path = request.getUriInfo().getPath();
        if (!path.equals(RESELLER_PATH) && !path.startsWith(RESELLER_PATH + "/")) {
            return Uni.createFrom().nullItem();
        }
        String key = bearer(request.getHeaderString(HttpHeaders.AUTHORIZATION));
        if (key == null) {
            return Uni.createFrom().item(unauthorized());
        }
        return keys.authenticate(key).map(resellerId -> {
            if (resellerId == null) {
                return unauthorized();
            }
            // Counted per key after authentication, so made-up keys cannot fill the limiter's memory.
            RateLimiter.Decision decision = rateLimiter.tryAcquire(ApiKeys.hash(key));
            if (!decision.allowed()) {
                return Response.fromResponse(ApiExceptionMappers.error(429, "Rate limit exceeded: "
                                + decision.limit() + " requests per minute per API key"))
                        .header("Retry-After", decision.retryAfterSeconds())
                        .build();
            }
            caller.set(resellerId);
            return null;
        });
    }

    private static String bearer(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        String token = authorization.substring(7).trim();
        return token.startsWith(ApiKeys.PREFIX) && token.length() <= 200 ? token : null;
    }

    private static Response unauthorized() {
        return Response.fromResponse(ApiExceptionMappers.error(401, "Invalid or missing API key"))
                .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer")
                .build();
    }
}
