package com.proxyvault.gateway.auth;

import com.proxyvault.gateway.edge.ErrorResponses;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * For the gateway's own {@code /v1/reseller/*} resources (API keys): takes the reseller the public port
 * authenticated from the {@link EdgeIdentity} header. Without a valid one (a request that did not pass
 * through the public port's authentication) the answer is 401.
 */
public class EdgeIdentityFilter {

    private final EdgeIdentity identity;
    private final AuthenticatedReseller caller;

    public EdgeIdentityFilter(EdgeIdentity identity, AuthenticatedReseller caller) {
        this.identity = identity;
        this.caller = caller;
    }

    @ServerRequestFilter
    public Response authenticate(ContainerRequestContext request) {
        String path = request.getUriInfo().getPath();
        if (!path.startsWith("/v1/reseller/")) {
            return null;
        }
        Long resellerId = identity.verify(request.getHeaderString(EdgeIdentity.HEADER));
        if (resellerId == null) {
            return Response.status(401).type(MediaType.APPLICATION_JSON_TYPE)
                    .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer")
                    .entity(ErrorResponses.body(ApiKeyRefusal.detail(request.getHeaderString(HttpHeaders.AUTHORIZATION)),
                            "unauthorized").getBytes()).build();
        }
        caller.set(resellerId);
        return null;
    }
}
