package com.proxyvault.fleet.agents;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.proxyvault.contracts.events.EventEnvelope;
import com.proxyvault.contracts.events.EventTypes;
import com.proxyvault.contracts.events.ProxyIpRotated;
import com.proxyvault.fleet.proxies.ProxyRotations;
import com.proxyvault.platform.outbox.Outbox;
import com.proxyvault.platform.time.ClockProducer;
import com.proxyvault.contracts.agent.v1.Hello;
import com.proxyvault.contracts.agent.v1.ModemInfo;
import com.proxyvault.fleet.proxies.ProxyStatus;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.hibernate.reactive.mutiny.Mutiny;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * What the fleet knows about agents and their modems, as they announce themselves. Heartbeats are written in
 * batches by {@link HeartbeatWriter}.
 */
@ApplicationScoped
public class AgentStore {

    private static final Logger LOG = Logger.getLogger(AgentStore.class);

    private final Mutiny.SessionFactory sessionFactory;

    private final Clock clock;

    private final AgentLiveness liveness;

    private final FleetReplicas replicas;

    private final ObjectMapper mapper;

    public AgentStore(Mutiny.SessionFactory sessionFactory, Clock clock, AgentLiveness liveness, FleetReplicas replicas,
                      ObjectMapper mapper) {
        this.liveness = liveness;
        this.mapper = mapper;
        this.replicas = replicas;
        this.sessionFactory = sessionFactory;
        this.clock = clock;
    }

    private LocalDateTime now() {
        return ClockProducer.utcNow(clock);
    }

    /**
     * Records the agent as connected, its stream held by this replica, and replaces its modem list with the one it announced: a modem it no
     * longer reports goes offline (no new proxies). Its offline proxies are active again, with {@code proxy.online}
     * ({@link AgentLiveness#announceOnline}), in the same transaction, if the agent still announces their modem and
     * their port is in its range. The agent would refuse to re-open the others, and they stayed {@code active} with
     * nothing listening, after a {@code proxy.online} (new-user review 5, finding 2): a proxy whose port is outside the
     * announced range is {@code disconnected} (no place, the paid period running; a connect gives it a new one); an
     * active one on a modem the agent no longer announces is {@code offline} with {@code proxy.offline} (a modem
     * missing from one Hello, e.g. not yet enumerated, may be back in the next: then it is revived).
     *
     * <p>One statement does the agent, its modems and the revival ({@link #REGISTER}), instead of one per modem
     * plus four: a fleet restart brings every agent's Hello at once (10,000 in bench/fleet), and each statement is a
     * round trip and Hibernate's work per Hello (docs/fleet.md "A Hello in one statement"). A modem in a location
     * the fleet does not know is left out and logged, as before; a modem id announced twice counts once (the last).
     * A modem whose known exit IP the Hello changes, outside a reset in flight, is announced to every proxy active on it
     * as {@code proxy.ip_rotated} with {@code trigger} network, in the same transaction (docs/fleet.md "Network changes:
     * an exit IP no reset made").
     */
    public Uni<Void> register(Hello hello, UUID stream) {
        LocalDateTime now = now();
        Map<String, ModemInfo> modems = new LinkedHashMap<>();
        hello.getModemsList().forEach(m -> modems.put(m.getModemId(), m));
        String agentId = hello.getAgentId();
        return sessionFactory.withTransaction(session -> session.createNativeQuery(REGISTER, Object[].class)
                        .setParameter("replica", replicas.id())
                        .setParameter("stream", stream)
                        .setParameter("id", agentId)
                        .setParameter("host", hello.getPublicHost())
                        .setParameter("start", hello.getPortRangeStart())
                        .setParameter("end", hello.getPortRangeEnd())
                        .setParameter("version", hello.getAgentVersion())
                        .setParameter("now", now)
                        .setParameter("modemIds", modems.keySet().toArray(String[]::new))
                        .setParameter("locations", modems.values().stream().map(ModemInfo::getLocationId).toArray(String[]::new))
                        .setParameter("is5g", modems.values().stream().map(ModemInfo::getIs5G).toArray(Boolean[]::new))
                        .setParameter("exitIps", modems.values().stream().map(ModemInfo::getExitIp).toArray(String[]::new))
                        .setParameter("active", ProxyStatus.ACTIVE)
                        .setParameter("offline", ProxyStatus.OFFLINE)
                        .setParameter("disconnected", ProxyStatus.DISCONNECTED)
                        .setParameter("rotating", ProxyRotations.ROTATING)
                        .getResultList()
                        .chain(rows -> {
                            List<Object[]> revived = new ArrayList<>();
                            List<Object> stranded = new ArrayList<>();
                            List<Object[]> modemless = new ArrayList<>();
                            List<Object[]> network = new ArrayList<>();
                            for (Object[] row : rows) {
                                switch ((String) row[0]) {
                                    case "revived" -> revived.add(java.util.Arrays.copyOfRange(row, 1, 5));
                                    case "stranded" -> stranded.add(row[1]);
                                    case "modemless" -> modemless.add(java.util.Arrays.copyOfRange(row, 1, 5));
                                    case "network" -> network.add(row);
                                    default -> {
                                        ModemInfo modem = modems.get((String) row[4]);
                                        LOG.warnf("Agent %s reports modem %s in unknown location %s: ignored", agentId,
                                                modem.getModemId(), modem.getLocationId());
                                    }
                                }
                            }
                            if (!stranded.isEmpty()) {
                                LOG.warnf("Agent %s announced ports %d-%d, without the ports of proxies %s: disconnected;"
                                        + " a connect gives each a new place", agentId, hello.getPortRangeStart(),
                                        hello.getPortRangeEnd(), stranded);
                            }
                            if (!modemless.isEmpty()) {
                                LOG.warnf("Agent %s no longer announces the modem of %d active proxies: offline until a"
                                        + " Hello announces it again", agentId, modemless.size());
                            }
                            return liveness.announceOnline(session, agentId, revived)
                                    .chain(() -> liveness.announceOffline(session, modemless, now))
                                    .chain(() -> announceNetworkChanges(session, agentId, network));
                        }))
                .replaceWithVoid();
    }

    /**
     * {@code proxy.ip_rotated} with {@code trigger} {@value ProxyIpRotated#NETWORK} for each {@code 'network'} row of
     * {@link #REGISTER} ({@code kind, id, order_id, reseller_id, modem_id, old_ip, new_ip}), each to its proxy's own
     * reseller, in the Hello's transaction (docs/fleet.md "Network changes: an exit IP no reset made").
     */
    private Uni<Void> announceNetworkChanges(Mutiny.Session session, String agentId, List<Object[]> rows) {
        if (rows.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        LOG.infof("Agent %s announced new exit IPs outside a verified rotation: %d proxy.ip_rotated (network)", agentId,
                rows.size());
        return Multi.createFrom().iterable(rows)
                .onItem().transformToUniAndConcatenate(row -> Outbox.append(session, mapper, EventEnvelope.of(
                        EventTypes.PROXY_IP_ROTATED, ((Number) row[3]).longValue(),
                        ProxyIpRotated.network(((Number) row[1]).longValue(), ((Number) row[2]).longValue(),
                                (String) row[5], (String) row[6]), clock)).replaceWith(true))
                .collect().last().replaceWithVoid();
    }

    /**
     * The Hello's registration in one statement (its parts see the same snapshot and touch disjoint rows): the
     * agent upserted as connected and held by this replica; the announced modems in known locations upserted
     * online (one an operator removed is back, V25); the agent's other modems offline; its offline proxies active again where it still announces their modem
     * and their port is in its range; its active and offline proxies on a port outside the range disconnected; its
     * active proxies on a modem it no longer announces offline. Rows: {@code ('revived', id, order_id, reseller_id,
     * null)} per revived proxy, {@code ('stranded', ...)} per disconnected one, {@code ('modemless', ...)} per one
     * taken offline, {@code ('unknown-location', null, null, null, modem_id)} per announced modem in an unknown
     * location, each followed by two null columns ({@code old_ip}, {@code new_ip}).
     *
     * <p>And {@code ('network', id, order_id, reseller_id, modem_id, old_ip, new_ip)} per proxy active on an announced
     * modem (its port in range) whose exit IP the Hello changes from a known one to another known one, outside a verified
     * reset: announced as {@code proxy.ip_rotated} with {@code trigger} network (docs/fleet.md "Network changes: an exit
     * IP no reset made"). {@code changing} locks only those modems, so {@code old_ip} is the row as it is, not as the
     * snapshot saw it (a rotation that committed meanwhile is re-read, and then often no change at all); the upsert takes
     * its rows from a join with it, so each such modem is locked and read before the upsert writes it (a row this
     * command already wrote would be passed over by the lock). A modem
     * with a reset in flight keeps its IP and announces nothing (the run records and announces the IP its reset brought;
     * if it fails, the next heartbeat does). Proxies the Hello revives hear {@code proxy.online} instead, as after a
     * verified reset an offline proxy hears nothing and {@code GET} shows the IP.
     */
    static final String REGISTER = """
            with agent as (
                insert into agents (id, public_host, port_range_start, port_range_end, agent_version, connected,
                                    last_seen_at, replica_id, stream_id)
                values (:id, :host, :start, :end, :version, true, :now, :replica, :stream)
                on conflict (id) do update set public_host = excluded.public_host,
                    port_range_start = excluded.port_range_start, port_range_end = excluded.port_range_end,
                    agent_version = excluded.agent_version, connected = true, last_seen_at = excluded.last_seen_at,
                    replica_id = excluded.replica_id, stream_id = excluded.stream_id
                returning id),
            announced as (
                select v.modem_id, v.location_id, v.is_5g, v.exit_ip,
                       exists (select 1 from locations l where l.id = v.location_id) as known
                from unnest(cast(:modemIds as text[]), cast(:locations as text[]), cast(:is5g as boolean[]),
                            cast(:exitIps as text[])) as v(modem_id, location_id, is_5g, exit_ip)),
            changing as (
                select m.id, m.exit_ip as old_ip, a.exit_ip as new_ip,
                       exists (select 1 from proxy_rotations r where r.modem_id = m.id and r.status = :rotating
                                                                 and r.give_up_at > :now) as in_flight
                from modems m join announced a on m.id = cast(:id as text) || '/' || a.modem_id
                where m.agent_id = :id and a.known and m.exit_ip is distinct from a.exit_ip
                for no key update of m),
            upserted as (
                insert into modems (id, agent_id, modem_id, location_id, is_5g, exit_ip, online, updated_at)
                select cast(:id as text) || '/' || a.modem_id, :id, a.modem_id, a.location_id, a.is_5g,
                       case when c.in_flight then c.old_ip else a.exit_ip end, true, :now
                from announced a left join changing c on c.id = cast(:id as text) || '/' || a.modem_id
                where a.known
                on conflict (id) do update set location_id = excluded.location_id, is_5g = excluded.is_5g,
                    exit_ip = excluded.exit_ip, online = true, updated_at = excluded.updated_at, removed_at = null
                returning id),
            gone as (
                update modems set online = false, updated_at = :now
                where agent_id = :id and id not in (select id from upserted)),
            revived as (
                update proxies p set status = :active, updated_at = :now
                where p.agent_id = :id and p.status = :offline
                  and p.port between :start and :end and p.modem_id in (select id from upserted)
                returning p.id, p.order_id, p.reseller_id),
            stranded as (
                update proxies p set status = :disconnected, updated_at = :now
                where p.agent_id = :id and p.status in (:active, :offline) and p.port not between :start and :end
                returning p.id, p.order_id, p.reseller_id),
            modemless as (
                update proxies p set status = :offline, updated_at = :now
                where p.agent_id = :id and p.status = :active and p.port between :start and :end
                  and p.modem_id not in (select id from upserted)
                returning p.id, p.order_id, p.reseller_id)
            select 'revived' as kind, r.id, r.order_id, r.reseller_id, cast(null as text) as modem_id,
                   cast(null as text) as old_ip, cast(null as text) as new_ip from revived r
            union all
            select 'stranded', s.id, s.order_id, s.reseller_id, null, null, null from stranded s
            union all
            select 'modemless', m.id, m.order_id, m.reseller_id, null, null, null from modemless m
            union all
            select 'unknown-location', null, null, null, a.modem_id, null, null from announced a where not a.known
            union all
            select 'network', p.id, p.order_id, p.reseller_id, c.id, c.old_ip, c.new_ip from changing c
            join proxies p on p.modem_id = c.id and p.agent_id = :id and p.status = :active
                          and p.port between :start and :end
            where not c.in_flight and c.old_ip <> '' and c.new_ip <> ''""";

    /**
     * The agent's stream {@code stream} on this replica ended: it is no longer connected, and no longer held here —
     * unless it has meanwhile said Hello again, here or on another replica (a newer stream's id, V26), whose claim
     * stands.
     */
    public Uni<Void> disconnected(String agentId, UUID stream) {
        return sessionFactory.withTransaction(session -> session
                .createNativeQuery("""
                        update agents set connected = false, replica_id = null
                        where id = :id and (replica_id = :replica or replica_id is null)
                          and stream_id is not distinct from :stream""")
                .setParameter("id", agentId).setParameter("replica", replicas.id()).setParameter("stream", stream)
                .executeUpdate()).replaceWithVoid();
    }
}
