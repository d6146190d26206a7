package com.proxyvault.orders.orders;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.proxyvault.platform.auth.CurrentReseller;
import com.proxyvault.contracts.auth.InternalJwt;
import com.proxyvault.platform.http.ApiException;
import com.proxyvault.platform.http.ForwardedIdempotencyKey;
import com.proxyvault.platform.http.NoFieldBodies;
import com.proxyvault.platform.input.Ids;
import com.proxyvault.platform.input.Paging;
import com.proxyvault.platform.input.Texts;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
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
import org.jboss.resteasy.reactive.server.Cancellable;

import java.util.List;

@Path("/v1/reseller/orders")
@Produces(MediaType.APPLICATION_JSON)
@RolesAllowed(InternalJwt.RESELLER_ROLE)
@Cancellable(false) // a write the caller started finishes if the caller hangs up (docs/api.md "Hang-ups")
public class OrderResource {

    private final OrderService orders;
    private final JsonWebToken caller;
    /** The service's own mapper (Quarkus', with platform's {@code StrictJson} customizer): reads pay's body. */
    private final ObjectMapper json;

    public OrderResource(OrderService orders, JsonWebToken caller, ObjectMapper json) {
        this.orders = orders;
        this.caller = caller;
        this.json = json;
    }

    /**
     * A purchase {@code {"product_id": 1, "pricing_id": 3}} or a renewal {@code {"proxy_id": 5, "pricing_id": 2}}
     * (docs/money.md, "Renewals"): JSON integers, positive; exactly one of product_id and proxy_id; no other
     * fields (422 otherwise). A purchase may name {@code "location_id": "LAX"} (optional): 422 "Unknown location_id"
     * when the fleet does not serve it ({@code KnownLocations}); else the fleet places the proxy there, or fails
     * the order (refunded) when no modem there is free.
     */
    public record CreateOrderRequest(Long productId, Long pricingId, Long proxyId, String locationId) {
    }

    /** Location ids as the fleet lists them ({@code GET /proxies/{id}/locations}): LAX, NYC, MIA. */
    private static final java.util.regex.Pattern LOCATION_ID = java.util.regex.Pattern.compile("[A-Z0-9]{2,32}");

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    public Uni<Response> create(CreateOrderRequest request, @HeaderParam(ForwardedIdempotencyKey.HEADER) String idempotencyKey) {
        if (request == null) {
            throw ApiException.unprocessable("A JSON body with product_id and pricing_id is required");
        }
        Uni<Order> created;
        if (request.proxyId() != null) {
            if (request.productId() != null) {
                throw ApiException.unprocessable("Give product_id to buy a proxy or proxy_id to renew one, not both");
            }
            if (request.locationId() != null) {
                throw ApiException.unprocessable("location_id is for a purchase: a renewal keeps the proxy where it is");
            }
            long proxyId = Ids.body(request.proxyId(), "proxy_id");
            long pricingId = Ids.body(request.pricingId(), "pricing_id");
            created = orders.renew(CurrentReseller.resellerId(caller), proxyId, pricingId, ForwardedIdempotencyKey.of(idempotencyKey));
        } else {
            long productId = Ids.body(request.productId(), "product_id");
            long pricingId = Ids.body(request.pricingId(), "pricing_id");
            String locationId = Texts.optional(request.locationId(), "location_id", 32);
            if (locationId != null && !LOCATION_ID.matcher(locationId).matches()) {
                throw ApiException.unprocessable("location_id must be a location id such as LAX (2-32 capital letters or digits)");
            }
            created = orders.create(CurrentReseller.resellerId(caller), productId, pricingId, locationId, ForwardedIdempotencyKey.of(idempotencyKey));
        }
        return created.map(order -> Response.status(Response.Status.CREATED).entity(OrderView.of(order)).build());
    }

    @GET
    public Uni<OrderList> list(@QueryParam("status") String status,
                               @QueryParam("limit") String limit,
                               @QueryParam("offset") String offset) {
        String filter = Texts.oneOf(status, "status", OrderStatus.ALL, false);
        Paging paging = Paging.of(limit, offset);
        return orders.list(CurrentReseller.resellerId(caller), filter, paging.limit(), paging.offset())
                .map(page -> new OrderList(page.orders().stream().map(OrderView::of).toList(), page.total()));
    }

    @GET
    @Path("/{orderId}")
    public Uni<OrderView> get(@PathParam("orderId") String orderId) {
        return orders.get(CurrentReseller.resellerId(caller), id(orderId)).map(OrderView::of);
    }

    /**
     * Pays the order from the balance (seed "Pay for an order"). The seed's call sends no body; an empty JSON
     * object is accepted too (what some client libraries send). Anything else is judged before any money
     * moves, like every other body (docs/api.md "Request bodies"): a body that is not JSON 415, malformed JSON
     * 400, a field (pay takes none) or a non-object 422.
     */
    @POST
    @Path("/{orderId}/pay")
    public Uni<OrderService.PayResult> pay(@PathParam("orderId") String orderId,
                                           @HeaderParam("Authorization") String authorization,
                                           @HeaderParam("Content-Type") String contentType,
                                           @HeaderParam(ForwardedIdempotencyKey.HEADER) String idempotencyKey, byte[] body) {
        requireNoPayFields(contentType, body);
        return orders.pay(CurrentReseller.resellerId(caller), id(orderId), authorization, ForwardedIdempotencyKey.of(idempotencyKey));
    }

    /**
     * The body rule of {@link #pay}: nothing (null, or whitespace), or {@code {}} as {@code application/json}.
     * Else 415 for another type, 400 {@code malformed_json} for broken JSON (platform's {@code StrictJson} rules,
     * the byte order mark included), 422 for a field or a non-object. Read with the service's own mapper.
     */
    void requireNoPayFields(String contentType, byte[] body) {
        NoFieldBodies.require(json, "pay", contentType, body);
    }

    public record OrderList(List<OrderView> orders, long total) {
    }

    /** A malformed id names no order of this reseller: 404, as for any order that isn't theirs. */
    private static long id(String raw) {
        return Ids.path(raw, "Order not found");
    }
}
