package com.proxyvault.gateway.operations;

import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.QueryParam;
import org.jboss.resteasy.reactive.RestResponse;

import java.util.Map;

/**
 * The services' operator endpoints ({@code /internal/...}, operator internal token), as one typed REST
 * client built per service by {@link ServiceClients}. Answers pass through whatever their status: the
 * gateway relays a service's 4xx {@code {"detail"}} to the operator unchanged.
 */
@Path("/internal")
public interface InternalOperatorApi {

    /** billing-service: credit a reseller, idempotent by reference (201 new, 200 replay, 4xx detail). */
    @POST
    @Path("/resellers/{resellerId}/topups")
    Uni<RestResponse<Map<String, Object>>> topUp(@HeaderParam("Authorization") String authorization,
            @HeaderParam("traceparent") String traceparent,
                                                 @PathParam("resellerId") long resellerId, Map<String, Object> body);

    /**
     * billing-service: a signed operator adjustment of a reseller's balance, idempotent by reference
     * (201 new, 200 replay, 402 when it would take the balance below zero, 409 reference reused).
     */
    @POST
    @Path("/resellers/{resellerId}/adjustments")
    Uni<RestResponse<Map<String, Object>>> adjust(@HeaderParam("Authorization") String authorization,
            @HeaderParam("traceparent") String traceparent,
                                                  @PathParam("resellerId") long resellerId, Map<String, Object> body);

    /**
     * billing-service: a reseller's ledger for an operator, newest first, one page: {@code {"transactions": [{"id",
     * "type", "amount", "balance_after", "order_id", "reference", "reason", "created_at"}], "total"}} ({@code reason}:
     * an adjustment's, null for other kinds; docs/money.md).
     */
    @GET
    @Path("/resellers/{resellerId}/transactions")
    Uni<RestResponse<Map<String, Object>>> transactions(@HeaderParam("Authorization") String authorization,
            @HeaderParam("traceparent") String traceparent, @PathParam("resellerId") long resellerId,
            @QueryParam("limit") int limit, @QueryParam("offset") int offset);

    /** Any consuming service: its parked events, newest first ({@code {"dead_letters": [...]}}). */
    @GET
    @Path("/dead-letters")
    Uni<RestResponse<Map<String, Object>>> deadLetters(@HeaderParam("Authorization") String authorization,
            @HeaderParam("traceparent") String traceparent,
                                                       @QueryParam("pending") @DefaultValue("true") boolean pending,
                                                       @QueryParam("limit") @DefaultValue("50") int limit,
                                                       @QueryParam("offset") @DefaultValue("0") int offset);

    /** Any consuming service: apply a parked event again through its handler (200, 404, 409). */
    @POST
    @Path("/dead-letters/{id}/replay")
    Uni<RestResponse<Map<String, Object>>> replay(@HeaderParam("Authorization") String authorization,
            @HeaderParam("traceparent") String traceparent,
                                                  @PathParam("id") long id);

    /**
     * proxy-fleet-service: a page of the agents in id order ({@code {"agents": [...], "total"}}); {@code connected}
     * null lists all (a null query parameter is not sent).
     */
    @GET
    @Path("/agents")
    Uni<RestResponse<Map<String, Object>>> agents(@HeaderParam("Authorization") String authorization,
            @HeaderParam("traceparent") String traceparent, @QueryParam("connected") Boolean connected,
                                                  @QueryParam("limit") int limit, @QueryParam("offset") int offset);

    /**
     * proxy-fleet-service: a page of the modems in id order ({@code {"modems": [...], "total"}}), of one agent
     * and/or location when given (null: not sent, no filter).
     */
    @GET
    @Path("/modems")
    Uni<RestResponse<Map<String, Object>>> modems(@HeaderParam("Authorization") String authorization,
            @HeaderParam("traceparent") String traceparent, @QueryParam("agent_id") String agentId,
                                                  @QueryParam("location_id") String locationId,
                                                  @QueryParam("limit") int limit, @QueryParam("offset") int offset);

    /**
     * proxy-fleet-service: every location, by id, with the whole fleet's load there ({@code {"locations": [...]}});
     * not paged (locations are few).
     */
    @GET
    @Path("/locations")
    Uni<RestResponse<Map<String, Object>>> locations(@HeaderParam("Authorization") String authorization,
            @HeaderParam("traceparent") String traceparent);

    /** order-service: every product with every tier, retired ones too ({@code {"products": [...]}}). */
    @GET
    @Path("/catalog/products")
    Uni<RestResponse<Map<String, Object>>> products(@HeaderParam("Authorization") String authorization,
            @HeaderParam("traceparent") String traceparent);

    /** order-service: one product as operators see it (404 unknown). */
    @GET
    @Path("/catalog/products/{productId}")
    Uni<RestResponse<Map<String, Object>>> product(@HeaderParam("Authorization") String authorization,
            @HeaderParam("traceparent") String traceparent, @PathParam("productId") long productId);

    /** order-service: a new product with its first tiers (201; 409 the name is taken; 422 a field). */
    @POST
    @Path("/catalog/products")
    Uni<RestResponse<Map<String, Object>>> addProduct(@HeaderParam("Authorization") String authorization,
            @HeaderParam("traceparent") String traceparent, Map<String, Object> body);

    /** order-service: rename, re-describe, retire or re-activate a product (404 unknown; 422 a field). */
    @PATCH
    @Path("/catalog/products/{productId}")
    Uni<RestResponse<Map<String, Object>>> changeProduct(@HeaderParam("Authorization") String authorization,
            @HeaderParam("traceparent") String traceparent, @PathParam("productId") long productId, Map<String, Object> body);

    /** order-service: a new tier of a product (201; 404 unknown product; 409 a label it has). */
    @POST
    @Path("/catalog/products/{productId}/pricing")
    Uni<RestResponse<Map<String, Object>>> addPricing(@HeaderParam("Authorization") String authorization,
            @HeaderParam("traceparent") String traceparent, @PathParam("productId") long productId, Map<String, Object> body);

    /** order-service: relabel, reprice, retire or re-activate a tier (404 unknown; 422 a field). */
    @PATCH
    @Path("/catalog/pricing/{pricingId}")
    Uni<RestResponse<Map<String, Object>>> changePricing(@HeaderParam("Authorization") String authorization,
            @HeaderParam("traceparent") String traceparent, @PathParam("pricingId") long pricingId, Map<String, Object> body);

    /**
     * proxy-fleet-service: add a location ({@code {"id", "name", "is_5g"}}); 201 with it, 409 {@code location_exists},
     * 422 naming the field.
     */
    @POST
    @Path("/locations")
    Uni<RestResponse<Map<String, Object>>> addLocation(@HeaderParam("Authorization") String authorization,
            @HeaderParam("traceparent") String traceparent, Map<String, Object> body);

    /** proxy-fleet-service: change a location's name or is_5g; 200 with it, 404, 422. */
    @PATCH
    @Path("/locations/{locationId}")
    Uni<RestResponse<Map<String, Object>>> changeLocation(@HeaderParam("Authorization") String authorization,
            @HeaderParam("traceparent") String traceparent, @PathParam("locationId") String locationId,
            Map<String, Object> body);

    /** proxy-fleet-service: remove a location nothing names; 204, 404, 409 {@code location_in_use}. */
    @jakarta.ws.rs.DELETE
    @Path("/locations/{locationId}")
    Uni<RestResponse<Map<String, Object>>> removeLocation(@HeaderParam("Authorization") String authorization,
            @HeaderParam("traceparent") String traceparent, @PathParam("locationId") String locationId);

    /**
     * proxy-fleet-service: remove a modem its agent no longer announces; 204, 404 unknown, 409 {@code modem_announced}
     * or {@code modem_in_use}.
     */
    @jakarta.ws.rs.DELETE
    @Path("/agents/{agentId}/modems/{modemId}")
    Uni<RestResponse<Map<String, Object>>> removeModem(@HeaderParam("Authorization") String authorization,
            @HeaderParam("traceparent") String traceparent, @PathParam("agentId") String agentId,
            @PathParam("modemId") String modemId);

    /** proxy-fleet-service: change a modem's capacity ({@code {"capacity": N}}); 200 with the modem, 404, 422. */
    @PATCH
    @Path("/agents/{agentId}/modems/{modemId}")
    Uni<RestResponse<Map<String, Object>>> changeModem(@HeaderParam("Authorization") String authorization,
            @HeaderParam("traceparent") String traceparent, @PathParam("agentId") String agentId,
            @PathParam("modemId") String modemId, Map<String, Object> body);

    /** proxy-fleet-service: drain ({@code drain}) or re-enable ({@code undrain}) a modem; 404 unknown. */
    @POST
    @Path("/agents/{agentId}/modems/{modemId}/{action}")
    Uni<RestResponse<Map<String, Object>>> modemAction(@HeaderParam("Authorization") String authorization,
            @HeaderParam("traceparent") String traceparent, @PathParam("agentId") String agentId,
            @PathParam("modemId") String modemId, @PathParam("action") String action);
}
