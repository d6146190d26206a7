package com.proxyvault.fleet.provisioning;

import com.proxyvault.fleet.proxies.ProxyStatus;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.hibernate.reactive.mutiny.Mutiny;

import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds room for a proxy: a modem with a free slot on a live agent, and a free port on that agent. Runs in
 * the caller's transaction and locks what it picks, so concurrent allocations never share a slot or port.
 */
@ApplicationScoped
public class ModemAllocator {

    /** An agent that hasn't been heard from for this long gets no new proxies. */
    public static final long LIVE_AGENT_SECONDS = 45;

    /**
     * A location with how many of its modems could take a proxy now ({@code available}: online, on a live
     * agent, with a free slot), as {@code GET /proxies/{id}/locations} shows it (issue 8, item 5).
     */
    public record LocationAvailability(String id, String name,
                                       @com.fasterxml.jackson.annotation.JsonProperty("is_5g") boolean is5g,
                                       long available) {
    }

    /** Every location, by id, with its free modems counted as {@link #place} would find them. */
    public Uni<List<LocationAvailability>> availability(Mutiny.Session session, LocalDateTime now) {
        return session.createNativeQuery("""
                        select l.id, l.name, l.is_5g,
                               (select count(*) from modems m join agents a on a.id = m.agent_id
                                where m.location_id = l.id and m.online and not m.draining and a.connected
                                  and a.last_seen_at > :liveSince
                                  and m.capacity > (select count(*) from proxies p
                                                    where p.modem_id = m.id and p.status in ('provisioning', 'active')))
                        from locations l order by l.id""", Object[].class)
                .setParameter("liveSince", now.minusSeconds(LIVE_AGENT_SECONDS))
                .getResultList()
                .map(rows -> rows.stream().map(row -> new LocationAvailability((String) row[0], (String) row[1],
                        (Boolean) row[2], ((Number) row[3]).longValue())).toList());
    }

    public record Placement(String modemId, String agentId, String locationId, String publicHost, int port) {
    }

    private record FreeModem(String id, String agentId, String locationId, String publicHost, int portStart, int portEnd,
                             int capacity) {
    }

    /**
     * The least-loaded modem that is online and not draining (in {@code locationId} when given, never {@code excludedModemId}) and the
     * lowest free port of its agent; null when there is none.
     */
    public Uni<Placement> place(Mutiny.Session session, LocalDateTime now, String locationId, String excludedModemId) {
        List<String> excluded = new ArrayList<>(List.of(excludedModemId == null ? "" : excludedModemId));
        return pickFreeModem(session, now, locationId, excluded, 3).chain(modem -> modem == null
                ? Uni.createFrom().nullItem()
                : pickPort(session, modem).map(port -> port == null ? null
                        : new Placement(modem.id(), modem.agentId(), modem.locationId(), modem.publicHost(), port)));
    }

    /**
     * The candidate query counts proxies in its own snapshot; a proxy another transaction committed on the
     * same modem just before we got its lock is not in that count. So once the modem is locked, its slots
     * are counted again (a new statement sees every committed proxy), and a modem that turned out full is
     * passed over.
     */
    private Uni<FreeModem> pickFreeModem(Mutiny.Session session, LocalDateTime now, String locationId,
                                         List<String> excluded, int attemptsLeft) {
        if (attemptsLeft == 0) {
            return Uni.createFrom().nullItem();
        }
        return pickModem(session, now, locationId, excluded).chain(modem -> modem == null
                ? Uni.createFrom().nullItem()
                : session.createNativeQuery("select count(*) from proxies where modem_id = :modem and status in ('provisioning', 'active')", Long.class)
                        .setParameter("modem", modem.id())
                        .getSingleResult()
                        .chain(used -> {
                            if (used < modem.capacity()) {
                                return Uni.createFrom().item(modem);
                            }
                            excluded.add(modem.id());
                            return pickFreeModem(session, now, locationId, excluded, attemptsLeft - 1);
                        }));
    }

    // The live statuses (ProxyStatus.LIVE) are spelled out in the SQL below, not bound as parameters, so
    // PostgreSQL can use the partial indexes on live proxies (proxies_live_by_modem, proxies_live_port)
    // for every execution of the prepared statement, including generic plans.
    private Uni<FreeModem> pickModem(Mutiny.Session session, LocalDateTime now, String locationId, List<String> excluded) {
        return session.createNativeQuery("""
                        select m.id, m.agent_id, m.location_id, a.public_host, a.port_range_start, a.port_range_end, m.capacity
                        from modems m join agents a on a.id = m.agent_id
                        where a.connected and a.last_seen_at > :liveSince and m.online and not m.draining
                          and (cast(:location as text) is null or m.location_id = :location)
                          and m.id not in (:excluded)
                          and m.capacity > (select count(*) from proxies p where p.modem_id = m.id and p.status in ('provisioning', 'active'))
                        order by (select count(*) from proxies p where p.modem_id = m.id and p.status in ('provisioning', 'active')), m.id
                        limit 1
                        for update of m skip locked""", Object[].class)
                .setParameter("liveSince", now.minusSeconds(LIVE_AGENT_SECONDS))
                .setParameter("location", locationId)
                .setParameter("excluded", excluded)
                .getResultList()
                .map(rows -> rows.isEmpty() ? null : toModem(rows.get(0)));
    }

    private static FreeModem toModem(Object[] row) {
        return new FreeModem((String) row[0], (String) row[1], (String) row[2], (String) row[3],
                ((Number) row[4]).intValue(), ((Number) row[5]).intValue(), ((Number) row[6]).intValue());
    }

    /** The lowest free port of the agent; the agent row lock serializes allocations on one agent. */
    private Uni<Integer> pickPort(Mutiny.Session session, FreeModem modem) {
        return session.createNativeQuery("select id from agents where id = :agent for update", String.class)
                .setParameter("agent", modem.agentId())
                .getSingleResult()
                .chain(() -> session.createNativeQuery("""
                                select min(s.port) from generate_series(cast(:start as integer), cast(:end as integer)) as s(port)
                                where not exists (select 1 from proxies p
                                                  where p.agent_id = :agent and p.port = s.port and p.status in ('provisioning', 'active'))""", Integer.class)
                        .setParameter("start", modem.portStart())
                        .setParameter("end", modem.portEnd())
                        .setParameter("agent", modem.agentId())
                        .getSingleResultOrNull());
    }
}
