package com.proxyvault.orders.catalog;

import com.proxyvault.contracts.auth.InternalJwt;
import com.proxyvault.platform.http.ApiException;
import com.proxyvault.platform.input.Amounts;
import com.proxyvault.platform.input.Ids;
import com.proxyvault.platform.input.Texts;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.jwt.JsonWebToken;
import org.jboss.resteasy.reactive.server.Cancellable;

import java.util.List;

/**
 * The operators' catalog (F9; docs/operations.md "The catalog"), behind the gateway's {@code /v1/admin/products}
 * and {@code /v1/admin/pricing} (operator internal token). Shapes: {@link CatalogAdminView}.
 * <ul>
 *   <li>{@code GET /internal/catalog/products} → {@code {"products": [{"id", "name", "description", "active",
 *       "pricing": [{"id", "product_id", "label", "price", "period_type", "period_duration", "active"}]}]}}, retired
 *       ones included; {@code GET .../products/{id}} → one product (404 "Product not found").</li>
 *   <li>{@code POST .../products} {@code {"name", "description"?, "pricing"?: [{"label", "price", "period_type",
 *       "period_duration"}]}} → 201 the product. 409 when the name is taken (ignoring case).</li>
 *   <li>{@code PATCH .../products/{id}} {@code {"name"?, "description"?, "active"?}} → the product; {@code active:
 *       false} retires it: new orders and renewals are 404 "Product not found", resellers no longer see it.</li>
 *   <li>{@code POST .../products/{id}/pricing} {@code {"label", "price", "period_type", "period_duration"}} → 201
 *       the tier (409 a label the product has).</li>
 *   <li>{@code PATCH .../pricing/{id}} {@code {"label"?, "price"?, "active"?}} → the tier. A new price applies to
 *       orders created from then on; no existing order changes. The period cannot be changed (422 unknown field).</li>
 * </ul>
 * Field rules (422 naming the field): name 1-100 characters, description at most 500, label 1-100, price money
 * ("20.00", 0.01-1000000.00, docs/api.md "Money"), period_type hour/day/week/month, period_duration 1-1000, active a
 * boolean; a change must name at least one field. Unknown fields are refused (docs/api.md "Request bodies").
 */
@Path("/internal/catalog")
@Produces(MediaType.APPLICATION_JSON)
@RolesAllowed(InternalJwt.OPERATOR_ROLE)
@Cancellable(false) // a write the caller started finishes if the caller hangs up (docs/api.md "Hang-ups")
public class CatalogAdminResource {

    static final int MAX_NAME = 100;
    static final int MAX_DESCRIPTION = 500;
    static final int MAX_LABEL = 100;
    static final int MAX_PERIOD_DURATION = 1000;

    private final CatalogService catalog;
    private final JsonWebToken operator;

    public CatalogAdminResource(CatalogService catalog, JsonWebToken operator) {
        this.catalog = catalog;
        this.operator = operator;
    }

    public record PricingRequest(String label, String price, String periodType, Integer periodDuration) {
    }

    public record ProductRequest(String name, String description, List<PricingRequest> pricing) {
    }

    public record ProductChangeRequest(String name, String description, Boolean active) {
    }

    public record PricingChangeRequest(String label, String price, Boolean active) {
    }

    public record ProductList(List<CatalogAdminView> products) {
    }

    @GET
    @Path("/products")
    public Uni<ProductList> list() {
        return catalog.allProducts().map(ProductList::new);
    }

    @GET
    @Path("/products/{productId}")
    public Uni<CatalogAdminView> get(@PathParam("productId") String productId) {
        return catalog.product(Ids.path(productId, "Product not found"));
    }

    @POST
    @Path("/products")
    @Consumes(MediaType.APPLICATION_JSON)
    public Uni<Response> create(ProductRequest request) {
        if (request == null) {
            throw ApiException.unprocessable("A JSON body with name is required");
        }
        String name = Texts.required(request.name(), "name", MAX_NAME).trim();
        String description = request.description() == null ? ""
                : Texts.optional(request.description(), "description", MAX_DESCRIPTION).trim();
        List<CatalogService.NewPricing> tiers = request.pricing() == null ? List.of()
                : request.pricing().stream().map(CatalogAdminResource::tier).toList();
        if (tiers.stream().map(t -> t.label().toLowerCase(java.util.Locale.ROOT)).distinct().count() < tiers.size()) {
            throw ApiException.unprocessable("pricing labels must differ from each other");
        }
        return catalog.addProduct(new CatalogService.NewProduct(name, description, tiers), operatorName())
                .map(product -> Response.status(Response.Status.CREATED).entity(product).build());
    }

    @PATCH
    @Path("/products/{productId}")
    @Consumes(MediaType.APPLICATION_JSON)
    public Uni<CatalogAdminView> change(@PathParam("productId") String productId, ProductChangeRequest request) {
        long id = Ids.path(productId, "Product not found");
        if (request == null || (request.name() == null && request.description() == null && request.active() == null)) {
            throw ApiException.unprocessable("Nothing to change: give name, description or active");
        }
        String name = request.name() == null ? null : Texts.required(request.name(), "name", MAX_NAME).trim();
        String description = request.description() == null ? null
                : Texts.optional(request.description(), "description", MAX_DESCRIPTION).trim();
        return catalog.changeProduct(id, new CatalogService.ProductChange(name, description, request.active()), operatorName());
    }

    @POST
    @Path("/products/{productId}/pricing")
    @Consumes(MediaType.APPLICATION_JSON)
    public Uni<Response> addPricing(@PathParam("productId") String productId, PricingRequest request) {
        long id = Ids.path(productId, "Product not found");
        if (request == null) {
            throw ApiException.unprocessable("A JSON body with label, price, period_type and period_duration is required");
        }
        return catalog.addPricing(id, tier(request), operatorName())
                .map(pricing -> Response.status(Response.Status.CREATED).entity(pricing).build());
    }

    @PATCH
    @Path("/pricing/{pricingId}")
    @Consumes(MediaType.APPLICATION_JSON)
    public Uni<CatalogAdminView.PricingAdminView> changePricing(@PathParam("pricingId") String pricingId,
                                                               PricingChangeRequest request) {
        long id = Ids.path(pricingId, "Pricing not found");
        if (request == null || (request.label() == null && request.price() == null && request.active() == null)) {
            throw ApiException.unprocessable("Nothing to change: give label, price or active");
        }
        String label = request.label() == null ? null : Texts.required(request.label(), "label", MAX_LABEL).trim();
        return catalog.changePricing(id, new CatalogService.PricingChange(label,
                request.price() == null ? null : Amounts.positive(request.price(), "price"), request.active()), operatorName());
    }

    private static CatalogService.NewPricing tier(PricingRequest request) {
        if (request == null) {
            throw ApiException.unprocessable("pricing must be a list of objects with label, price, period_type and period_duration");
        }
        String label = Texts.required(request.label(), "label", MAX_LABEL).trim();
        String periodType = Texts.oneOf(request.periodType(), "period_type", Pricing.PERIOD_TYPES, true);
        Integer duration = request.periodDuration();
        if (duration == null || duration < 1 || duration > MAX_PERIOD_DURATION) {
            throw ApiException.unprocessable("period_duration must be an integer from 1 to " + MAX_PERIOD_DURATION);
        }
        return new CatalogService.NewPricing(label, Amounts.positive(request.price(), "price"), periodType, duration);
    }

    private String operatorName() {
        return operator.getSubject() == null ? "operator" : operator.getSubject();
    }
}
