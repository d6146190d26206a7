package com.proxyvault.fleet.proxies;

import com.proxyvault.platform.auth.CurrentReseller;
import com.proxyvault.contracts.auth.InternalJwt;
import com.proxyvault.platform.http.ApiException;
import com.proxyvault.fleet.locations.Location;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
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
    private final ProxyControlService controls;

    public ProxyResource(JsonWebToken caller, ProxyControlService controls) {
        this.caller = caller;
        this.controls = controls;
    }

    public record ConnectRequest(String locationId) {
    }

    public record ResetRequest(String mode) {
    }

    public record FingerprintRequest(String fingerprint) {
    }

    public record Detail(String detail) {
    }

    @POST
    @Path("/{proxyId}/connect")
    @Consumes(MediaType.APPLICATION_JSON)
    public Uni<ProxyControlService.Connected> connect(@PathParam("proxyId") String proxyId, ConnectRequest request) {
        if (request == null || request.locationId() == null || request.locationId().isBlank()) {
            throw ApiException.unprocessable("location_id is required");
        }
        return controls.connect(CurrentReseller.resellerId(caller), id(proxyId), request.locationId().trim().toUpperCase());
    }

    @POST
    @Path("/{proxyId}/disconnect")
    public Uni<Detail> disconnect(@PathParam("proxyId") String proxyId) {
        return controls.disconnect(CurrentReseller.resellerId(caller), id(proxyId)).replaceWith(new Detail("Proxy disconnected"));
    }

    @POST
    @Path("/{proxyId}/reset")
    @Consumes(MediaType.APPLICATION_JSON)
    public Uni<ProxyControlService.ResetResult> reset(@PathParam("proxyId") String proxyId, ResetRequest request) {
        String mode = request == null || request.mode() == null ? "" : request.mode().trim().toLowerCase();
        if (!mode.equals("fast") && !mode.equals("hard")) {
            throw ApiException.unprocessable("mode must be \"fast\" or \"hard\"");
        }
        return controls.resetIp(CurrentReseller.resellerId(caller), id(proxyId), mode);
    }

    @POST
    @Path("/{proxyId}/fingerprint")
    @Consumes(MediaType.APPLICATION_JSON)
    public Uni<ProxyControlService.FingerprintResult> fingerprint(@PathParam("proxyId") String proxyId, FingerprintRequest request) {
        String fingerprint = request == null || request.fingerprint() == null ? "" : request.fingerprint().trim().toLowerCase();
        if (!ProxyControlService.FINGERPRINTS.contains(fingerprint)) {
            throw ApiException.unprocessable("fingerprint must be one of " + String.join(", ", ProxyControlService.FINGERPRINTS));
        }
        return controls.setFingerprint(CurrentReseller.resellerId(caller), id(proxyId), fingerprint);
    }

    /** "List all active proxies": the paid ones whose period is not over; expired and failed ones drop out. */
    @GET
    @WithSession
    public Uni<ProxyList> list() {
        return Proxy.<Proxy>list("resellerId = ?1 and status in ?2 order by id",
                        CurrentReseller.resellerId(caller), ProxyStatus.CURRENT)
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

    /** A malformed id names no proxy of this reseller: 404, as for any proxy that isn't theirs. */
    private static long id(String raw) {
        try {
            return Long.parseLong(raw);
        } catch (NumberFormatException e) {
            throw ApiException.notFound("Proxy not found");
        }
    }

    private Uni<Proxy> find(String rawId) {
        return Proxy.<Proxy>find("id = ?1 and resellerId = ?2", id(rawId), CurrentReseller.resellerId(caller)).firstResult()
                .onItem().ifNull().failWith(() -> ApiException.notFound("Proxy not found"));
    }

    public record ProxyList(List<ProxyView> proxies) {
    }

    public record LocationList(List<Location> locations) {
    }
}
