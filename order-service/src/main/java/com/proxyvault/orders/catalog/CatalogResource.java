package com.proxyvault.orders.catalog;

import com.proxyvault.contracts.auth.InternalJwt;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import java.util.List;

@Path("/v1/reseller/products")
@Produces(MediaType.APPLICATION_JSON)
@RolesAllowed(InternalJwt.RESELLER_ROLE)
public class CatalogResource {

    private final CatalogService catalog;

    public CatalogResource(CatalogService catalog) {
        this.catalog = catalog;
    }

    @GET
    @WithSession
    public Uni<ProductList> list() {
        return catalog.activeProducts().map(ProductList::new);
    }

    public record ProductList(List<ProductView> products) {
    }
}
