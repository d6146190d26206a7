package com.proxyvault.platform.http;

import jakarta.ws.rs.HttpMethod;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * {@code OPTIONS} (RFC 9110 §9.3.7) answered from the same {@code @Path} templates as a 405's {@code Allow}
 * ({@link AllowedMethods}), so the two never disagree: 204 with {@code Allow: OPTIONS, POST} and no body.
 * Quarkus REST's own answer listed the methods of every resource under the path's prefix (new-user review:
 * {@code OPTIONS /v1/reseller/orders/1/pay} listed GET and HEAD, and GET there is 405 {@code Allow: OPTIONS,
 * POST}; {@code OPTIONS /v1/reseller/keys} listed DELETE). A path no resource declares goes on to the 404.
 */
public class OptionsRequests {

    /** Runs before resource matching; null lets every other method (and an unknown path) through. */
    @ServerRequestFilter(preMatching = true)
    public Response answer(ContainerRequestContext request) {
        if (!HttpMethod.OPTIONS.equals(request.getMethod())) {
            return null;
        }
        String allow = AllowedMethods.forPath(request.getUriInfo().getPath());
        return allow == null ? null : Response.noContent().header(HttpHeaders.ALLOW, allow).build();
    }
}
