package com.proxyvault.orders.orders;

import com.proxyvault.platform.auth.CurrentReseller;
import com.proxyvault.contracts.auth.InternalJwt;
import com.proxyvault.platform.http.ApiException;
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

import java.util.List;

@Path("/v1/reseller/orders")
@Produces(MediaType.APPLICATION_JSON)
@RolesAllowed(InternalJwt.RESELLER_ROLE)
public class OrderResource {

    private final OrderService orders;
    private final JsonWebToken caller;

    public OrderResource(OrderService orders, JsonWebToken caller) {
        this.orders = orders;
        this.caller = caller;
    }

    public record CreateOrderRequest(Long productId, Long pricingId) {
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    public Uni<Response> create(CreateOrderRequest request) {
        if (request == null || request.productId() == null || request.pricingId() == null) {
            throw ApiException.unprocessable("product_id and pricing_id are required integers");
        }
        return orders.create(CurrentReseller.resellerId(caller), request.productId(), request.pricingId())
                .map(order -> Response.status(Response.Status.CREATED).entity(OrderView.of(order)).build());
    }

    @GET
    public Uni<OrderList> list(@QueryParam("status") String status,
                               @QueryParam("limit") String limit,
                               @QueryParam("offset") String offset) {
        if (status != null && !OrderStatus.ALL.contains(status)) {
            throw ApiException.unprocessable("status must be one of " + String.join(", ", OrderStatus.ALL));
        }
        int pageSize = intParam("limit", limit, 50, 1, 200);
        int skip = intParam("offset", offset, 0, 0, Integer.MAX_VALUE);
        return orders.list(CurrentReseller.resellerId(caller), status, pageSize, skip)
                .map(page -> new OrderList(page.orders().stream().map(OrderView::of).toList(), page.total()));
    }

    @GET
    @Path("/{orderId}")
    public Uni<OrderView> get(@PathParam("orderId") String orderId) {
        return orders.get(CurrentReseller.resellerId(caller), id(orderId)).map(OrderView::of);
    }

    @POST
    @Path("/{orderId}/pay")
    public Uni<OrderService.PayResult> pay(@PathParam("orderId") String orderId,
                                           @HeaderParam("Authorization") String authorization) {
        return orders.pay(CurrentReseller.resellerId(caller), id(orderId), authorization);
    }

    public record OrderList(List<OrderView> orders, long total) {
    }

    /** A malformed id names no order of this reseller: 404, as for any order that isn't theirs. */
    private static long id(String raw) {
        try {
            return Long.parseLong(raw);
        } catch (NumberFormatException e) {
            throw ApiException.notFound("Order not found");
        }
    }

    static int intParam(String name, String raw, int fallback, int min, int max) {
        if (raw == null || raw.isBlank()) {
            return fallback;
        }
        try {
            int value = Integer.parseInt(raw.trim());
            if (value >= min && value <= max) {
                return value;
            }
        } catch (NumberFormatException ignored) {
            // answered below
        }
        throw ApiException.unprocessable(name + " must be an integer between " + min + " and " + max);
    }
}
