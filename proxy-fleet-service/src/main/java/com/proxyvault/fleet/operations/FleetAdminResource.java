package com.proxyvault.fleet.operations;

import com.proxyvault.contracts.auth.InternalJwt;
import com.proxyvault.fleet.provisioning.ModemAllocator;
import com.proxyvault.platform.http.ApiException;
import com.proxyvault.platform.input.Texts;
import com.proxyvault.platform.time.ClockProducer;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.quarkus.hibernate.reactive.panache.common.WithTransaction;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import java.time.Clock;
import java.time.LocalDateTime;
import java.util.Arrays;
import java.util.List;

/**
 * The operator's view of the fleet (issue 8, item 8), behind the gateway's {@code /v1/admin/agents} and
 * {@code /v1/admin/modems} (operator internal token):
 * <ul>
 *   <li>{@code GET /internal/agents} → {@code {"agents": [{"id", "public_host", "connected", "online",
 *       "last_seen_at", "agent_version", "port_range_start", "port_range_end", "modems", "proxies"}]}};
 *       {@code online}: heard from within {@link ModemAllocator#LIVE_AGENT_SECONDS};</li>
 *   <li>{@code GET /internal/modems} → {@code {"modems": [{"id", "agent_id", "modem_id", "location_id", "is_5g",
 *       "online", "draining", "exit_ip", "capacity", "proxy_ids", "last_heartbeat_at"}]}}; {@code online}: the
 *       modem is up by its agent's last report and that agent is online;</li>
 *   <li>{@code POST /internal/agents/{agentId}/modems/{modemId}/drain} (and {@code /undrain}) → the modem: a
 *       draining modem keeps its proxies but gets no new one (placement, connect); 404 unknown modem.</li>
 * </ul>
 */
@Path("/internal")
@Produces(MediaType.APPLICATION_JSON)
@RolesAllowed(InternalJwt.OPERATOR_ROLE)
public class FleetAdminResource {

    private final Clock clock;

    public FleetAdminResource(Clock clock) {
        this.clock = clock;
    }

    public record AgentView(String id, String publicHost, boolean connected, boolean online, LocalDateTime lastSeenAt,
                            String agentVersion, int portRangeStart, int portRangeEnd, long modems, long proxies) {
    }

    public record ModemView(String id, String agentId, String modemId, String locationId,
                            @com.fasterxml.jackson.annotation.JsonProperty("is_5g") boolean is5g,
                            boolean online, boolean draining, String exitIp, int capacity, List<Long> proxyIds,
                            LocalDateTime lastHeartbeatAt) {
    }

    public record AgentList(List<AgentView> agents) {
    }

    public record ModemList(List<ModemView> modems) {
    }

    @GET
    @Path("/agents")
    @WithSession
    public Uni<AgentList> agents() {
        LocalDateTime liveSince = ClockProducer.utcNow(clock).minusSeconds(ModemAllocator.LIVE_AGENT_SECONDS);
        return Panache.getSession().chain(session -> session.createNativeQuery("""
                        select a.id, a.public_host, a.connected, a.last_seen_at, a.agent_version, a.port_range_start,
                               a.port_range_end,
                               (select count(*) from modems m where m.agent_id = a.id),
                               (select count(*) from proxies p where p.agent_id = a.id
                                  and p.status in ('provisioning', 'active', 'offline'))
                        from agents a order by a.id""", Object[].class).getResultList())
                .map(rows -> new AgentList(rows.stream().map(row -> new AgentView((String) row[0], (String) row[1],
                        (Boolean) row[2], (Boolean) row[2] && ((LocalDateTime) row[3]).isAfter(liveSince),
                        (LocalDateTime) row[3], (String) row[4], ((Number) row[5]).intValue(), ((Number) row[6]).intValue(),
                        ((Number) row[7]).longValue(), ((Number) row[8]).longValue())).toList()));
    }

    @GET
    @Path("/modems")
    @WithSession
    public Uni<ModemList> modems() {
        return readModems(null).map(ModemList::new);
    }

    /** Every modem, or only {@code id} when given (one query either way). */
    private Uni<List<ModemView>> readModems(String id) {
        return Panache.getSession().chain(session -> session.createNativeQuery("""
                        select m.id, m.agent_id, m.modem_id, m.location_id, m.is_5g,
                               -- a modem is only as online as its agent: the flag is the agent's last report
                               m.online and coalesce(a.last_seen_at >= :liveSince, false), m.draining, m.exit_ip,
                               m.capacity, a.last_seen_at,
                               (select string_agg(cast(p.id as text), ',' order by p.id) from proxies p
                                where p.modem_id = m.id and p.status in ('provisioning', 'active', 'offline'))
                        from modems m join agents a on a.id = m.agent_id
                        where cast(:id as text) is null or m.id = :id
                        order by m.id""", Object[].class).setParameter("id", id)
                        .setParameter("liveSince", ClockProducer.utcNow(clock).minusSeconds(ModemAllocator.LIVE_AGENT_SECONDS))
                        .getResultList())
                .map(rows -> rows.stream().map(FleetAdminResource::modem).toList());
    }

    @POST
    @Path("/agents/{agentId}/modems/{modemId}/drain")
    @WithTransaction
    public Uni<ModemView> drain(@PathParam("agentId") String agentId, @PathParam("modemId") String modemId) {
        return setDraining(agentId, modemId, true);
    }

    @POST
    @Path("/agents/{agentId}/modems/{modemId}/undrain")
    @WithTransaction
    public Uni<ModemView> undrain(@PathParam("agentId") String agentId, @PathParam("modemId") String modemId) {
        return setDraining(agentId, modemId, false);
    }

    private Uni<ModemView> setDraining(String agentId, String modemId, boolean draining) {
        String id = Texts.required(agentId, "agent_id", 100) + "/" + Texts.required(modemId, "modem_id", 100);
        return Panache.getSession().chain(session -> session.createNativeQuery(
                                "update modems set draining = :draining, updated_at = :now where id = :id")
                        .setParameter("draining", draining)
                        .setParameter("now", ClockProducer.utcNow(clock))
                        .setParameter("id", id)
                        .executeUpdate()
                        .chain(updated -> {
                            if (updated == 0) {
                                return Uni.createFrom().failure(ApiException.notFound("Modem not found"));
                            }
                            return readModems(id).map(list -> list.get(0));
                        }));
    }

    private static ModemView modem(Object[] row) {
        String proxies = (String) row[10];
        List<Long> proxyIds = proxies == null ? List.of() : Arrays.stream(proxies.split(",")).map(Long::valueOf).toList();
        return new ModemView((String) row[0], (String) row[1], (String) row[2], (String) row[3], (Boolean) row[4],
                (Boolean) row[5], (Boolean) row[6], (String) row[7], ((Number) row[8]).intValue(), proxyIds,
                (LocalDateTime) row[9]);
    }
}
