package com.proxyvault.gateway.forwarding;

import com.proxyvault.platform.http.ApiException;
import com.proxyvault.gateway.auth.AuthenticatedReseller;
import com.proxyvault.gateway.auth.InternalTokenIssuer;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpMethod;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.core.buffer.Buffer;
import io.vertx.mutiny.ext.web.client.HttpRequest;
import io.vertx.mutiny.ext.web.client.HttpResponse;
import io.vertx.mutiny.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import jakarta.annotation.PreDestroy;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import org.jboss.logging.Logger;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Forwards every {@code /v1/reseller/*} call the gateway doesn't serve itself to the owning service,
 * replacing the reseller's API key with a short-lived internal JWT naming the reseller. Status, body and
 * the headers a client needs come back unchanged.
 */
@Path("/v1/reseller")
public class ForwardingResource {

    private static final Logger LOG = Logger.getLogger(ForwardingResource.class);
    /** Request headers the services may need; the caller's Authorization is never passed on. */
    private static final List<String> FORWARDED_REQUEST_HEADERS = List.of(
            HttpHeaders.CONTENT_TYPE, HttpHeaders.ACCEPT, "Idempotency-Key", "X-Request-Id");
    private static final List<String> RETURNED_RESPONSE_HEADERS = List.of(
            HttpHeaders.CONTENT_TYPE, "Retry-After", HttpHeaders.LOCATION, "Idempotency-Replayed");

    /** Every public path under /v1/reseller is made of these: words and ids. */
    private static final Pattern PUBLIC_PATH = Pattern.compile("/v1/reseller(/[A-Za-z0-9_-]+)+/?");

    private final Upstreams upstreams;
    private final InternalTokenIssuer tokens;
    private final AuthenticatedReseller caller;
    private final WebClient client;

    public ForwardingResource(Upstreams upstreams, InternalTokenIssuer tokens, AuthenticatedReseller caller, Vertx vertx) {
        this.upstreams = upstreams;
        this.tokens = tokens;
        this.caller = caller;
        this.client = WebClient.create(vertx, new WebClientOptions().setFollowRedirects(false).setKeepAlive(true)
                .setMaxPoolSize(50));
    }

    @PreDestroy
    void close() {
        client.close();
    }

    @GET
    @Path("/{path: .+}")
    public Uni<Response> get(@PathParam("path") String path, @Context UriInfo uri, @Context ContainerRequestContext request) {
        return forward(HttpMethod.GET, path, uri, request, null);
    }

    @DELETE
    @Path("/{path: .+}")
    public Uni<Response> delete(@PathParam("path") String path, @Context UriInfo uri, @Context ContainerRequestContext request) {
        return forward(HttpMethod.DELETE, path, uri, request, null);
    }

    @POST
    @Path("/{path: .+}")
    public Uni<Response> post(@PathParam("path") String path, @Context UriInfo uri, @Context ContainerRequestContext request, byte[] body) {
        return forward(HttpMethod.POST, path, uri, request, body);
    }

    @PUT
    @Path("/{path: .+}")
    public Uni<Response> put(@PathParam("path") String path, @Context UriInfo uri, @Context ContainerRequestContext request, byte[] body) {
        return forward(HttpMethod.PUT, path, uri, request, body);
    }

    @PATCH
    @Path("/{path: .+}")
    public Uni<Response> patch(@PathParam("path") String path, @Context UriInfo uri, @Context ContainerRequestContext request, byte[] body) {
        return forward(HttpMethod.PATCH, path, uri, request, body);
    }

    private Uni<Response> forward(HttpMethod method, String path, UriInfo uri, ContainerRequestContext request, byte[] body) {
        String rawPath = uri.getRequestUri().getRawPath();
        // Only plain segments are forwarded: an encoded or dot segment (%2e%2e, %2f, ..) could otherwise
        // be normalised by the upstream into a path outside /v1/reseller, such as its /q endpoints.
        if (!PUBLIC_PATH.matcher(rawPath).matches()) {
            throw ApiException.notFound("Not Found");
        }
        String firstSegment = path.contains("/") ? path.substring(0, path.indexOf('/')) : path;
        String baseUrl = upstreams.baseUrlFor(firstSegment).orElseThrow(() -> ApiException.notFound("Not Found"));
        String rawQuery = uri.getRequestUri().getRawQuery();
        String target = baseUrl + rawPath + (rawQuery == null ? "" : "?" + rawQuery);

        HttpRequest<Buffer> upstream = client.requestAbs(method, target)
                .timeout(upstreams.upstreamTimeout().toMillis())
                .putHeader(HttpHeaders.AUTHORIZATION, "Bearer " + tokens.forReseller(caller.id()));
        for (String header : FORWARDED_REQUEST_HEADERS) {
            String value = request.getHeaderString(header);
            if (value != null) {
                upstream.putHeader(header, value);
            }
        }
        Uni<HttpResponse<Buffer>> sent = body == null || body.length == 0
                ? upstream.send()
                : upstream.sendBuffer(Buffer.buffer(body));
        return sent.map(ForwardingResource::toResponse)
                .onFailure().transform(failure -> {
                    LOG.warnf("Forwarding %s %s failed: %s", method, target, failure.toString());
                    return ApiException.unavailable("Service temporarily unavailable, try again");
                });
    }

    private static Response toResponse(HttpResponse<Buffer> upstream) {
        Response.ResponseBuilder response = Response.status(upstream.statusCode());
        for (String header : RETURNED_RESPONSE_HEADERS) {
            String value = upstream.getHeader(header);
            if (value != null) {
                response.header(header, value);
            }
        }
        Buffer body = upstream.body();
        if (body != null && body.length() > 0) {
            response.entity(body.getBytes());
        }
        return response.build();
    }
}
