package com.proxyvault.gateway.operations;

import com.proxyvault.gateway.auth.InternalTokenIssuer;
import com.proxyvault.platform.input.Ids;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.jwt.JsonWebToken;
import org.jboss.resteasy.reactive.server.Cancellable;

import java.util.Map;

/**
 * Operator API for the catalog (F9; docs/operations.md "The catalog"), forwarded to order-service, which owns
 * products and pricing, with an internal operator token (shapes, rules and answers: order-service's
 * {@code CatalogAdminResource}):
 * <ul>
 *   <li>{@code GET /v1/admin/products} → {@code {"products": [{"id", "name", "description", "active", "pricing":
 *       [{"id", "product_id", "label", "price", "period_type", "period_duration", "active"}]}]}}, retired ones
 *       included; {@code GET /v1/admin/products/{id}} → one;</li>
 *   <li>{@code POST /v1/admin/products} {@code {"name", "description"?, "pricing"?: [...]}} → 201;</li>
 *   <li>{@code PATCH /v1/admin/products/{id}} {@code {"name"?, "description"?, "active"?}};</li>
 *   <li>{@code POST /v1/admin/products/{id}/pricing} {@code {"label", "price", "period_type", "period_duration"}} → 201;</li>
 *   <li>{@code PATCH /v1/admin/pricing/{id}} {@code {"label"?, "price"?, "active"?}}: a new price applies to orders
 *       created after it; every existing order keeps its amount.</li>
 * </ul>
 * Bodies pass through as JSON (syntax judged here, fields by order-service); a malformed path id is 404 here,
 * before anything is sent; 503 when order-service cannot be reached.
 */
@Path("/v1/admin")
@Produces(MediaType.APPLICATION_JSON)
@RolesAllowed("operator")
@Cancellable(false) // a write the caller started finishes if the caller hangs up (docs/api.md "Hang-ups")
public class CatalogAdminResource {

    private static final String ORDERS = "orders";

    private final ServiceClients services;
    private final InternalTokenIssuer tokens;
    private final JsonWebToken operator;

    public CatalogAdminResource(ServiceClients services, InternalTokenIssuer tokens, JsonWebToken operator) {
        this.services = services;
        this.tokens = tokens;
        this.operator = operator;
    }

    @GET
    @Path("/products")
    public Uni<Response> products(@HeaderParam("traceparent") String traceparent) {
        return OperatorCalls.relay(ORDERS, services.of(ORDERS).products(bearer(), traceparent));
    }

    @GET
    @Path("/products/{productId}")
    public Uni<Response> product(@PathParam("productId") String productId, @HeaderParam("traceparent") String traceparent) {
        long id = Ids.path(productId, "Product not found");
        return OperatorCalls.relay(ORDERS, services.of(ORDERS).product(bearer(), traceparent, id));
    }

    @POST
    @Path("/products")
    @Consumes(MediaType.APPLICATION_JSON)
    public Uni<Response> addProduct(Map<String, Object> body, @HeaderParam("traceparent") String traceparent) {
        return OperatorCalls.relay(ORDERS, services.of(ORDERS).addProduct(bearer(), traceparent, body));
    }

    @PATCH
    @Path("/products/{productId}")
    @Consumes(MediaType.APPLICATION_JSON)
    public Uni<Response> changeProduct(@PathParam("productId") String productId, Map<String, Object> body,
                                       @HeaderParam("traceparent") String traceparent) {
        long id = Ids.path(productId, "Product not found");
        return OperatorCalls.relay(ORDERS, services.of(ORDERS).changeProduct(bearer(), traceparent, id, body));
    }

    @POST
    @Path("/products/{productId}/pricing")
    @Consumes(MediaType.APPLICATION_JSON)
    public Uni<Response> addPricing(@PathParam("productId") String productId, Map<String, Object> body,
                                    @HeaderParam("traceparent") String traceparent) {
        long id = Ids.path(productId, "Product not found");
        return OperatorCalls.relay(ORDERS, services.of(ORDERS).addPricing(bearer(), traceparent, id, body));
    }

    @PATCH
    @Path("/pricing/{pricingId}")
    @Consumes(MediaType.APPLICATION_JSON)
    public Uni<Response> changePricing(@PathParam("pricingId") String pricingId, Map<String, Object> body,
                                       @HeaderParam("traceparent") String traceparent) {
        long id = Ids.path(pricingId, "Pricing not found");
        return OperatorCalls.relay(ORDERS, services.of(ORDERS).changePricing(bearer(), traceparent, id, body));
    }

    private String bearer() {
        return "Bearer " + tokens.forOperator(operator.getSubject() == null ? "operator" : operator.getSubject(), ORDERS);
    }
}
