package com.proxyvault.fleet.provisioning;

import com.proxyvault.fleet.proxies.ProxyStatus;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.hibernate.reactive.mutiny.Mutiny;

import java.time.Duration;
import java.time.LocalDateTime;
import java.util.List;

/**
 * Finds room for a proxy: a modem with a free slot on a live agent, and a free port on that agent. Runs in
 * the caller's transaction and locks what it picks, so concurrent allocations never share a slot or port.
 */
@ApplicationScoped
public class ModemAllocator {

    private final Duration heartbeatTimeout;

    /**
     * {@code heartbeatTimeout}: {@code proxyvault.fleet.heartbeat-timeout} ({@code FLEET_HEARTBEAT_TIMEOUT}, 30 s), the
     * silence after which {@link com.proxyvault.fleet.agents.AgentLiveness} marks an agent's proxies offline.
     */
    public ModemAllocator(@ConfigProperty(name = "proxyvault.fleet.heartbeat-timeout") Duration heartbeatTimeout) {
        this.heartbeatTimeout = heartbeatTimeout;
    }

    /**
     * The oldest {@code last_seen_at} of a live agent at {@code now}: one that gets new proxies, and that the operator
     * API shows {@code online}. The same silence as offline detection's: placement used its own 45 s, so for 15 s an
     * agent whose proxies had just gone offline still took purchases and connects (which then failed) and showed
     * {@code online: true} (new-user review, stop 30, M1; docs/fleet.md "Offline detection").
     */
    public LocalDateTime liveSince(LocalDateTime now) {
        return now.minus(heartbeatTimeout);
    }

    /**
     * SQL condition: the agent {@code a}'s stream is held by a replica whose lease lives at the bound {@code :now}
     * (docs/fleet.md "Who is connected"); {@code pick_placement} asks the same. {@code agents.connected} alone stays
     * true after its holder is killed (only a stream's end clears it): the operator saw such an agent "connected" for
     * minutes, and purchases placed on it waited 120 s for nothing (new-user review).
     */
    public static final String STREAM_HELD_BY_LIVE_REPLICA =
            "(a.connected and exists (select 1 from fleet_replicas r where r.id = a.replica_id and r.lease_until > :now))";

    /**
     * A location with how many of its modems could take a proxy now ({@code available}: online, on a live
     * agent with a free port, with a free slot), as {@code GET /proxies/{id}/locations} shows it (issue 8, item 5).
     */
    public record LocationAvailability(String id, String name,
                                       @com.fasterxml.jackson.annotation.JsonProperty("is_5g") boolean is5g,
                                       long available) {
    }

    /**
     * Every location, by id, with its free modems counted as {@link #place} would find them: {@code live_proxies} is
     * the modem's count of live proxies that fleet migration V16's triggers keep, which placement walks too, and
     * the modem's agent must have a port left in its range (a {@code free_ports} row, or its highest held port
     * below {@code port_range_end}: {@code pick_placement}'s port rule; held by a proxy or by a move leaving it, V24). A modem with a free slot on an agent out
     * of ports was counted, and a connect there answered 409 (new-user review).
     */
    public Uni<List<LocationAvailability>> availability(Mutiny.Session session, LocalDateTime now) {
        return session.createNativeQuery("""
                        select l.id, l.name, l.is_5g,
                               (select count(*) from modems m join agents a on a.id = m.agent_id
                                where m.location_id = l.id and m.online and not m.draining and %s
                                  and a.last_seen_at > :liveSince and m.live_proxies < m.capacity
                                  and (exists (select 1 from free_ports f where f.agent_id = a.id
                                                 and f.port between a.port_range_start and a.port_range_end)
                                       or coalesce(highest_held_port(a.id, a.port_range_start, a.port_range_end) + 1,
                                                   a.port_range_start) <= a.port_range_end))
                        from locations l order by l.id""".formatted(STREAM_HELD_BY_LIVE_REPLICA), Object[].class)
                .setParameter("liveSince", liveSince(now))
                .setParameter("now", now)
                .getResultList()
                .map(rows -> rows.stream().map(row -> new LocationAvailability((String) row[0], (String) row[1],
                        (Boolean) row[2], ((Number) row[3]).longValue())).toList());
    }

    public record Placement(String modemId, String agentId, String locationId, String publicHost, int port) {
    }

    /**
     * The least-loaded modem that is online and not draining (in {@code locationId} when given, never
     * {@code excludedModemId}) on a live agent (heard from lately, its stream held by a live replica), and the
     * lowest free port of its agent; null when there is none.
     * The rule is the database function {@code pick_placement} ({@code R__fleet_pick_placement.sql}), the same
     * one a paid order's placement ({@code place_paid_order}) calls: it locks the modem and the agent row in the
     * caller's transaction, so concurrent placements never share a slot or a port.
     */
    public Uni<Placement> place(Mutiny.Session session, LocalDateTime now, String locationId, String excludedModemId) {
        return session.createNativeQuery("""
                        select modem_id, agent_id, location_id, public_host, port
                        from pick_placement(cast(:location as text), cast(:liveSince as timestamp), cast(:excluded as text),
                                            cast(:now as timestamp))""",
                        Object[].class)
                .setParameter("location", locationId)
                .setParameter("liveSince", liveSince(now))
                .setParameter("excluded", excludedModemId)
                .setParameter("now", now)
                .getResultList()
                .map(rows -> rows.isEmpty() ? null : toPlacement(rows.get(0)));
    }

    private static Placement toPlacement(Object[] row) {
        return new Placement((String) row[0], (String) row[1], (String) row[2], (String) row[3], ((Number) row[4]).intValue());
    }
}
