package com.proxyvault.gateway.operations;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.proxyvault.platform.http.NoFieldBodies;
import com.proxyvault.gateway.auth.InternalTokenIssuer;
import com.proxyvault.platform.http.ApiException;
import com.proxyvault.platform.input.Paging;
import com.proxyvault.platform.input.Texts;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.jwt.JsonWebToken;
import org.jboss.resteasy.reactive.RestResponse;
import org.jboss.resteasy.reactive.server.Cancellable;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Operator API for the fleet (issue 8, item 8), forwarded to proxy-fleet-service with an internal operator
 * token (shapes and definitions: the fleet's {@code FleetAdminResource}). The agents and modems lists are paged in
 * id order ({@code limit} 1..100, default 50, {@code offset}; docs/api.md "Lists") with the filter's {@code total};
 * the load per location is one answer for the whole fleet:
 * <ul>
 *   <li>{@code GET /v1/admin/agents[?connected=true|false]} → {@code {"agents": [{"id", "public_host",
 *       "connected", "online", "last_seen_at", "agent_version", "port_range_start", "port_range_end", "modems",
 *       "proxies"}], "total"}}</li>
 *   <li>{@code GET /v1/admin/modems[?agent_id=&location_id=]} (exact match; unknown → empty page) →
 *       {@code {"modems": [{"id", "agent_id", "modem_id", "location_id", "is_5g", "online", "draining", "exit_ip",
 *       "capacity", "proxy_ids", "last_heartbeat_at"}], "total"}}</li>
 *   <li>{@code GET /v1/admin/locations} → {@code {"locations": [{"id", "name", "is_5g", "modems", "online_modems",
 *       "draining_modems", "capacity", "live_proxies", "free_slots"}]}}: every location by id, not paged; query
 *       parameters are ignored, as on the reseller's unpaged lists (docs/api.md "Lists")</li>
 *   <li>{@code PATCH /v1/admin/agents/{agentId}/modems/{modemId} {"capacity": 1..100}} → 200 the modem: how many
 *       proxies it serves at once (default 1); 404 unknown modem; 422 capacity missing or out of range.</li>
 *   <li>{@code POST /v1/admin/agents/{agentId}/modems/{modemId}/drain} and {@code .../undrain} → the modem; a
 *       draining modem keeps its proxies and gets no new ones. 404 unknown modem.</li>
 *   <li>{@code DELETE /v1/admin/agents/{agentId}/modems/{modemId}} → 204: a modem its agent no longer announces
 *       leaves the lists and the locations' figures (back if announced again); 404 unknown, 409
 *       {@code modem_announced} (its connected agent announces it) or {@code modem_in_use} (it holds proxies).</li>
 *   <li>{@code POST /v1/admin/locations {"id", "name", "is_5g"}} → 201 the location as the list shows it; 409
 *       {@code location_exists}; 422 naming the field (id: 2..32 of A-Z, 0-9).</li>
 *   <li>{@code PATCH /v1/admin/locations/{id} {"name"?, "is_5g"?}} → 200 the location; {@code DELETE
 *       /v1/admin/locations/{id}} → 204 when no modem or proxy names it, else 409 {@code location_in_use}; 404
 *       unknown.</li>
 * </ul>
 * Decisions: docs/fleet.md "Removing a modem and adding a location".
 * A bad {@code limit}, {@code offset} or {@code connected} is 422 here, before any call; the fleet judges
 * {@code agent_id} and {@code location_id} (422 relayed). 503 when the fleet cannot be reached.
 */
@Path("/v1/admin")
@Produces(MediaType.APPLICATION_JSON)
@RolesAllowed("operator")
@Cancellable(false) // a write the caller started finishes if the caller hangs up (docs/api.md "Hang-ups")
public class FleetAdminResource {

    private static final String FLEET = "fleet";
    /**
     * Agent and modem ids as agents announce them; anything else names no modem. Not dots alone: {@code .} and
     * {@code ..} would become dot segments of the internal call, which the fleet's HTTP server resolves to another
     * resource (RFC 3986 section 5.2.4). The gateway's own server already removes them from the request path, also
     * sent as {@code %2E%2E} (GatewayTest), so this is a second guard, not the only one.
     */
    private static final Pattern ID = Pattern.compile("(?!\\.+$)[A-Za-z0-9._-]{1,100}");
    /** Location ids as resellers send them; anything else names no location. */
    private static final Pattern LOCATION_ID = Pattern.compile("[A-Z0-9]{2,32}");

    private final ServiceClients services;
    private final InternalTokenIssuer tokens;
    private final JsonWebToken operator;

    /** The service's own mapper: reads the bodies of the actions that take none ({@link NoFieldBodies}). */
    private final ObjectMapper json;

    public FleetAdminResource(ServiceClients services, InternalTokenIssuer tokens, JsonWebToken operator, ObjectMapper json) {
        this.json = json;
        this.services = services;
        this.tokens = tokens;
        this.operator = operator;
    }

    @GET
    @Path("/agents")
    public Uni<Response> agents(@HeaderParam("traceparent") String traceparent,
                                @QueryParam("connected") String connected,
                                @QueryParam("limit") String limit,
                                @QueryParam("offset") String offset) {
        String state = Texts.oneOf(connected == null || connected.isEmpty() ? null : connected, "connected",
                List.of("true", "false"), false);
        Paging page = Paging.of(limit, offset);
        return relay(services.of(FLEET).agents(bearer(), traceparent, state == null ? null : Boolean.valueOf(state),
                page.limit(), page.offset()));
    }

    @GET
    @Path("/modems")
    public Uni<Response> modems(@HeaderParam("traceparent") String traceparent,
                                @QueryParam("agent_id") String agentId,
                                @QueryParam("location_id") String locationId,
                                @QueryParam("limit") String limit,
                                @QueryParam("offset") String offset) {
        Paging page = Paging.of(limit, offset);
        return relay(services.of(FLEET).modems(bearer(), traceparent, agentId, locationId, page.limit(), page.offset()));
    }

    @GET
    @Path("/locations")
    public Uni<Response> locations(@HeaderParam("traceparent") String traceparent) {
        return relay(services.of(FLEET).locations(bearer(), traceparent));
    }

    @POST
    @Path("/agents/{agentId}/modems/{modemId}/drain")
    public Uni<Response> drain(@PathParam("agentId") String agentId, @PathParam("modemId") String modemId,
                               @HeaderParam("traceparent") String traceparent,
                               @HeaderParam("Content-Type") String contentType, byte[] body) {
        NoFieldBodies.require(json, "drain", contentType, body);
        return modemAction(agentId, modemId, "drain", traceparent);
    }

    @POST
    @Path("/agents/{agentId}/modems/{modemId}/undrain")
    public Uni<Response> undrain(@PathParam("agentId") String agentId, @PathParam("modemId") String modemId,
                                 @HeaderParam("traceparent") String traceparent,
                                 @HeaderParam("Content-Type") String contentType, byte[] body) {
        NoFieldBodies.require(json, "undrain", contentType, body);
        return modemAction(agentId, modemId, "undrain", traceparent);
    }

    @DELETE
    @Path("/agents/{agentId}/modems/{modemId}")
    public Uni<Response> removeModem(@PathParam("agentId") String agentId, @PathParam("modemId") String modemId,
                                     @HeaderParam("traceparent") String traceparent) {
        if (!ID.matcher(agentId).matches() || !ID.matcher(modemId).matches()) {
            throw ApiException.notFound("Modem not found");
        }
        return relay(services.of(FLEET).removeModem(bearer(), traceparent, agentId, modemId));
    }

    @jakarta.ws.rs.PATCH
    @Path("/agents/{agentId}/modems/{modemId}")
    @Consumes(MediaType.APPLICATION_JSON)
    public Uni<Response> changeModem(@PathParam("agentId") String agentId, @PathParam("modemId") String modemId,
                                     @HeaderParam("traceparent") String traceparent, Map<String, Object> body) {
        if (!ID.matcher(agentId).matches() || !ID.matcher(modemId).matches()) {
            throw ApiException.notFound("Modem not found");
        }
        if (body == null) {
            throw ApiException.unprocessable("A body {\"capacity\": N} is required");
        }
        return relay(services.of(FLEET).changeModem(bearer(), traceparent, agentId, modemId, body));
    }

    @POST
    @Path("/locations")
    @Consumes(MediaType.APPLICATION_JSON)
    public Uni<Response> addLocation(@HeaderParam("traceparent") String traceparent, Map<String, Object> body) {
        if (body == null) {
            throw ApiException.unprocessable("A body {\"id\", \"name\", \"is_5g\"} is required");
        }
        return relay(services.of(FLEET).addLocation(bearer(), traceparent, body));
    }

    @jakarta.ws.rs.PATCH
    @Path("/locations/{locationId}")
    @Consumes(MediaType.APPLICATION_JSON)
    public Uni<Response> changeLocation(@PathParam("locationId") String locationId,
                                        @HeaderParam("traceparent") String traceparent, Map<String, Object> body) {
        if (!LOCATION_ID.matcher(locationId).matches()) {
            throw ApiException.notFound("Location not found");
        }
        if (body == null) {
            throw ApiException.unprocessable("Give name or is_5g (or both)");
        }
        return relay(services.of(FLEET).changeLocation(bearer(), traceparent, locationId, body));
    }

    @DELETE
    @Path("/locations/{locationId}")
    public Uni<Response> removeLocation(@PathParam("locationId") String locationId,
                                        @HeaderParam("traceparent") String traceparent) {
        if (!LOCATION_ID.matcher(locationId).matches()) {
            throw ApiException.notFound("Location not found");
        }
        return relay(services.of(FLEET).removeLocation(bearer(), traceparent, locationId));
    }

    private Uni<Response> modemAction(String agentId, String modemId, String action, String traceparent) {
        if (!ID.matcher(agentId).matches() || !ID.matcher(modemId).matches()) {
            throw ApiException.notFound("Modem not found");
        }
        return relay(services.of(FLEET).modemAction(bearer(), traceparent, agentId, modemId, action));
    }

    private String bearer() {
        return "Bearer " + tokens.forOperator(operator.getSubject() == null ? "operator" : operator.getSubject(), FLEET);
    }

    private static Uni<Response> relay(Uni<RestResponse<Map<String, Object>>> call) {
        return OperatorCalls.relay(FLEET, call);
    }
}
