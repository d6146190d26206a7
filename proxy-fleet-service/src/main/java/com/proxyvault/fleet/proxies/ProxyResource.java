package com.proxyvault.fleet.proxies;

import jakarta.ws.rs.HeaderParam;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.proxyvault.platform.http.NoFieldBodies;
import com.proxyvault.platform.auth.CurrentReseller;
import com.proxyvault.contracts.auth.InternalJwt;
import com.proxyvault.platform.http.ApiException;
import com.proxyvault.platform.input.Ids;
import com.proxyvault.platform.input.Texts;
import com.proxyvault.fleet.provisioning.ModemAllocator;
import com.proxyvault.platform.time.ClockProducer;
import io.quarkus.hibernate.reactive.panache.Panache;
import com.proxyvault.fleet.renewals.ProxyRenewals;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
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

import java.time.Clock;
import java.util.List;

@Path("/v1/reseller/proxies")
@Produces(MediaType.APPLICATION_JSON)
@RolesAllowed(InternalJwt.RESELLER_ROLE)
@Cancellable(false) // a write the caller started finishes if the caller hangs up (docs/api.md "Hang-ups")
public class ProxyResource {

    private final JsonWebToken caller;
    private final ProxyControlService controls;
    private final ProxyRotations rotations;

    private final ProxyRenewals renewals;
    private final ModemAllocator allocator;
    private final Clock clock;

    /** The service's own mapper: reads the bodies of the actions that take none ({@link NoFieldBodies}). */
    private final ObjectMapper json;

    public ProxyResource(JsonWebToken caller, ProxyControlService controls, ProxyRotations rotations, ProxyRenewals renewals,
                         ModemAllocator allocator, Clock clock, ObjectMapper json) {
        this.json = json;
        this.rotations = rotations;
        this.allocator = allocator;
        this.clock = clock;
        this.caller = caller;
        this.controls = controls;
        this.renewals = renewals;
    }

    /**
     * {@code PATCH /proxies/{id} {"auto_renew": true}} → the proxy as {@code GET} shows it. Renews it from the
     * balance at its expiry checkpoints (docs/money.md, "Renewals"); 404 when it is not the reseller's, 409
     * when it has ended.
     */
    @PATCH
    @Path("/{proxyId}")
    @Consumes(MediaType.APPLICATION_JSON)
    public Uni<ProxyView> update(@PathParam("proxyId") String proxyId, UpdateRequest request) {
        if (request == null || request.autoRenew() == null) {
            throw ApiException.unprocessable("A JSON body with auto_renew (true or false) is required");
        }
        return renewals.setAutoRenew(CurrentReseller.resellerId(caller), id(proxyId), request.autoRenew())
                .chain(proxy -> Panache.withSession(() -> views(List.of(proxy))))
                .map(views -> views.get(0));
    }

    /** {@code {"location_id": "LAX"}}: an id of {@code GET .../locations}, exactly as listed (at most 32 characters). */
    public record ConnectRequest(String locationId) {
    }

    /** {@code {"mode": "fast"}}: {@code fast} or {@code hard}, exactly. */
    public record ResetRequest(String mode) {
    }

    /** {@code {"fingerprint": "windows"}}: one of {@link ProxyControlService#FINGERPRINTS}, exactly. */
    public record FingerprintRequest(String fingerprint) {
    }

    /** {@code {"auto_renew": true}}: a JSON boolean, required; no other fields (422 otherwise). */
    public record UpdateRequest(Boolean autoRenew) {
    }

    static final int MAX_LOCATION_ID_LENGTH = 32;
    static final List<String> MODES = List.of("fast", "hard");

    public record Detail(String detail) {
    }

    @POST
    @Path("/{proxyId}/connect")
    @Consumes(MediaType.APPLICATION_JSON)
    public Uni<ProxyControlService.Connected> connect(@PathParam("proxyId") String proxyId, ConnectRequest request) {
        String locationId = Texts.required(request == null ? null : request.locationId(), "location_id", MAX_LOCATION_ID_LENGTH);
        return controls.connect(CurrentReseller.resellerId(caller), id(proxyId), locationId, bearer());
    }

    @POST
    @Path("/{proxyId}/disconnect")
    public Uni<Detail> disconnect(@PathParam("proxyId") String proxyId,
                                  @HeaderParam("Content-Type") String contentType, byte[] body) {
        NoFieldBodies.require(json, "disconnect", contentType, body);
        return controls.disconnect(CurrentReseller.resellerId(caller), id(proxyId), bearer()).replaceWith(new Detail("Proxy disconnected"));
    }

    /**
     * {@code POST /proxies/{id}/reset {"mode": "fast"|"hard"}}: 200 {@link ProxyRotations.ResetResult} when the
     * verified rotation finished within the sync wait (8 s), else 202 {@link ProxyRotations.ResetAccepted} and it
     * finishes in the background ({@code proxy.ip_rotated}; {@code rotation} on GET). Errors: 404, 409 (not
     * active, or {@code rotation_in_progress}), 422, 429 {@code reset_cooldown}, 503, 504 (docs/fleet.md).
     */
    @POST
    @Path("/{proxyId}/reset")
    @Consumes(MediaType.APPLICATION_JSON)
    public Uni<Response> reset(@PathParam("proxyId") String proxyId, ResetRequest request) {
        String mode = Texts.oneOf(request == null ? null : request.mode(), "mode", MODES, true);
        return rotations.reset(CurrentReseller.resellerId(caller), id(proxyId), mode, bearer())
                .map(answer -> answer.done() != null
                        ? Response.ok(answer.done()).build()
                        : Response.accepted(answer.accepted()).build());
    }

    @POST
    @Path("/{proxyId}/fingerprint")
    @Consumes(MediaType.APPLICATION_JSON)
    public Uni<ProxyControlService.FingerprintResult> fingerprint(@PathParam("proxyId") String proxyId, FingerprintRequest request) {
        String fingerprint = Texts.oneOf(request == null ? null : request.fingerprint(), "fingerprint",
                ProxyControlService.FINGERPRINTS, true);
        return controls.setFingerprint(CurrentReseller.resellerId(caller), id(proxyId), fingerprint, bearer());
    }

    /**
     * "List all active proxies": the paid ones whose period is not over; expired and failed ones drop out.
     * Not paged: the seed lists them all (docs/api.md "Lists").
     */
    @GET
    @WithSession
    public Uni<ProxyList> list() {
        return Proxy.<Proxy>list("resellerId = ?1 and status in ?2 order by id",
                        CurrentReseller.resellerId(caller), ProxyStatus.CURRENT)
                .chain(this::views)
                .map(ProxyList::new);
    }

    @GET
    @Path("/{proxyId}")
    @WithSession
    public Uni<ProxyView> get(@PathParam("proxyId") String proxyId) {
        return find(proxyId).chain(proxy -> views(List.of(proxy))).map(views -> views.get(0));
    }

    /** The proxies as the API shows them, with their modems' exit IPs, their traffic and their latest rotations (one query each for all). */
    private Uni<List<ProxyView>> views(List<Proxy> proxies) {
        if (proxies.isEmpty()) {
            return Uni.createFrom().item(List.of());
        }
        List<String> modems = proxies.stream().map(p -> p.modemId).distinct().toList();
        List<Long> ids = proxies.stream().map(p -> p.id).toList();
        java.time.LocalDateTime now = ClockProducer.utcNow(clock);
        return Panache.getSession().chain(session -> session.createNativeQuery(
                                "select id, exit_ip from modems where id in (:ids)", Object[].class)
                        .setParameter("ids", modems).getResultList()
                        .chain(rows -> session.createNativeQuery(
                                        "select proxy_id, bytes_in, bytes_out from proxy_traffic where proxy_id in (:ids)", Object[].class)
                                .setParameter("ids", ids).getResultList()
                                .chain(counted -> session.createQuery("from ProxyRotation where proxyId in (:ids)", ProxyRotation.class)
                                .setParameter("ids", ids).getResultList()
                                .map(found -> {
                                    java.util.Map<String, String> exitIps = new java.util.HashMap<>();
                                    rows.forEach(row -> exitIps.put((String) row[0], (String) row[1]));
                                    java.util.Map<Long, long[]> traffic = new java.util.HashMap<>();
                                    counted.forEach(row -> traffic.put(((Number) row[0]).longValue(),
                                            new long[] {((Number) row[1]).longValue(), ((Number) row[2]).longValue()}));
                                    // a run describes the modem it reset: shown only while the proxy is still on it
                                    java.util.Map<Long, String> modemOf = new java.util.HashMap<>();
                                    proxies.forEach(p -> modemOf.put(p.id, p.modemId));
                                    java.util.Map<Long, RotationView> latest = new java.util.HashMap<>();
                                    found.stream().filter(r -> r.modemId.equals(modemOf.get(r.proxyId)))
                                            .forEach(r -> latest.put(r.proxyId, RotationView.of(r, now)));
                                    return proxies.stream().map(p -> ProxyView.of(p, exitIps.get(p.modemId), traffic.get(p.id),
                                            latest.get(p.id))).toList();
                                }))));
    }

    @GET
    @Path("/{proxyId}/locations")
    @WithSession
    public Uni<LocationList> locations(@PathParam("proxyId") String proxyId) {
        return find(proxyId).chain(() -> Panache.getSession())
                .chain(session -> allocator.availability(session, ClockProducer.utcNow(clock)))
                .map(LocationList::new);
    }

    /** The caller's internal token, passed on when a command goes to the replica holding the agent's stream. */
    private String bearer() {
        return "Bearer " + caller.getRawToken();
    }

    /** A malformed id names no proxy of this reseller: 404, as for any proxy that isn't theirs. */
    private static long id(String raw) {
        return Ids.path(raw, "Proxy not found");
    }

    private Uni<Proxy> find(String rawId) {
        return Proxy.<Proxy>find("id = ?1 and resellerId = ?2", id(rawId), CurrentReseller.resellerId(caller)).firstResult()
                .onItem().ifNull().failWith(() -> ApiException.notFound("Proxy not found"));
    }

    public record ProxyList(List<ProxyView> proxies) {
    }

    /** {@code {"locations": [{"id", "name", "is_5g", "available"}]}}: available = modems free there now. */
    public record LocationList(List<ModemAllocator.LocationAvailability> locations) {
    }
}
