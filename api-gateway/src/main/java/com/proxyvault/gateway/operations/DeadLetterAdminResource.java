package com.proxyvault.gateway.operations;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.proxyvault.platform.http.NoFieldBodies;
import com.proxyvault.gateway.auth.InternalTokenIssuer;
import com.proxyvault.platform.http.ApiException;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.jwt.JsonWebToken;
import org.jboss.resteasy.reactive.RestResponse;

import com.proxyvault.platform.input.Ids;
import com.proxyvault.platform.input.Paging;
import com.proxyvault.platform.input.Texts;
import org.jboss.resteasy.reactive.server.Cancellable;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Operator API for parked events (docs/architecture.md, "When a consumer cannot apply an event"): each
 * consuming service keeps its own {@code dead_letter_events}; the gateway forwards with an internal
 * operator token.
 * <ul>
 *   <li>{@code GET /v1/admin/services/{service}/dead-letters?pending=true&limit=50&offset=0} →
 *       {@code {"dead_letters": [{"id", "handler", "event_type", "event_id", "payload", "error", "attempts",
 *       "parked_at", "replayed_at"}], "total"}}</li>
 *   <li>{@code POST /v1/admin/services/{service}/dead-letters/{id}/replay} → the row, replayed; 404 unknown,
 *       409 already replayed or failed again (detail says why).</li>
 * </ul>
 * {@code service} is billing, orders, fleet or webhooks (404 otherwise); 503 when it cannot be reached.
 */
@Path("/v1/admin/services/{service}/dead-letters")
@Produces(MediaType.APPLICATION_JSON)
@RolesAllowed("operator")
@Cancellable(false) // a write the caller started finishes if the caller hangs up (docs/api.md "Hang-ups")
public class DeadLetterAdminResource {

    /** The services that consume events (the gateway itself does not). */
    private static final Set<String> CONSUMERS = Set.of("billing", "orders", "fleet", "webhooks");

    private final ServiceClients services;
    private final InternalTokenIssuer tokens;
    private final JsonWebToken operator;

    /** The service's own mapper: reads the bodies of the actions that take none ({@link NoFieldBodies}). */
    private final ObjectMapper json;

    public DeadLetterAdminResource(ServiceClients services, InternalTokenIssuer tokens, JsonWebToken operator, ObjectMapper json) {
        this.json = json;
        this.services = services;
        this.tokens = tokens;
        this.operator = operator;
    }

    @GET
    public Uni<Response> list(@PathParam("service") String service, @HeaderParam("traceparent") String traceparent,
                              @QueryParam("pending") String pending,
                              @QueryParam("limit") String limit,
                              @QueryParam("offset") String offset) {
        InternalOperatorApi target = client(service);
        boolean pendingOnly = Texts.oneOf(pending == null ? "true" : pending, "pending", List.of("true", "false"), true)
                .equals("true");
        Paging page = Paging.of(limit, offset);
        return relay(service, target.deadLetters(bearer(service), traceparent, pendingOnly, page.limit(), page.offset()));
    }

    @POST
    @Path("/{id}/replay")
    public Uni<Response> replay(@PathParam("service") String service, @PathParam("id") String id,
                                @HeaderParam("traceparent") String traceparent,
                                @HeaderParam("Content-Type") String contentType, byte[] body) {
        NoFieldBodies.require(json, "replay", contentType, body);
        InternalOperatorApi target = client(service);
        long parsed = Ids.path(id, "Dead letter not found");
        return relay(service, target.replay(bearer(service), traceparent, parsed));
    }

    private InternalOperatorApi client(String service) {
        if (!CONSUMERS.contains(service)) {
            throw ApiException.notFound("Service not found");
        }
        return services.of(service);
    }

    private String bearer(String service) {
        return "Bearer " + tokens.forOperator(operator.getSubject() == null ? "operator" : operator.getSubject(), service);
    }

    private static Uni<Response> relay(String service, Uni<RestResponse<Map<String, Object>>> call) {
        return OperatorCalls.relay(service, call);
    }
}
