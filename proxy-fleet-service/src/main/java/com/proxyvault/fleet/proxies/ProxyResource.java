package com.proxyvault.fleet.proxies;

import com.proxyvault.contracts.auth.InternalJwt;
import com.proxyvault.contracts.http.ApiException;
import com.proxyvault.fleet.locations.Location;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.jwt.JsonWebToken;

import java.util.List;

@Path("/v1/reseller/proxies")
@Produces(MediaType.APPLICATION_JSON)
@RolesAllowed(InternalJwt.RESELLER_ROLE)
public class ProxyResource {

    private final JsonWebToken caller;

    public ProxyResource(JsonWebToken caller) {
        this.caller = caller;
    }

    /** "List all active proxies": the ones being provisioned or serving; expired and failed ones drop out. */
    @GET
    @WithSession
    public Uni<ProxyList> list() {
        return Proxy.<Proxy>list("resellerId = ?1 and status in ?2 order by id",
                        InternalJwt.resellerId(caller), ProxyStatus.LIVE)
                .map(proxies -> new ProxyList(proxies.stream().map(ProxyView::of).toList()));
    }

    @GET
    @Path("/{proxyId}")
    @WithSession
    public Uni<ProxyView> get(@PathParam("proxyId") String proxyId) {
        return find(proxyId).map(ProxyView::of);
    }

    @GET
    @Path("/{proxyId}/locations")
    @WithSession
    public Uni<LocationList> locations(@PathParam("proxyId") String proxyId) {
        return find(proxyId).chain(() -> Location.<Location>listAll(io.quarkus.panache.common.Sort.by("id")))
                .map(LocationList::new);
    }

    private Uni<Proxy> find(String rawId) {
        long id;
        try {
            id = Long.parseLong(rawId);
        } catch (NumberFormatException e) {
            return Uni.createFrom().failure(ApiException.notFound("Proxy not found"));
        }
        return Proxy.<Proxy>find("id = ?1 and resellerId = ?2", id, InternalJwt.resellerId(caller)).firstResult()
                .onItem().ifNull().failWith(() -> ApiException.notFound("Proxy not found"));
    }

    public record ProxyList(List<ProxyView> proxies) {
    }

    public record LocationList(List<Location> locations) {
    }
}
