package com.proxyvault.fleet.agents;

import com.proxyvault.platform.time.ClockProducer;
import com.proxyvault.contracts.agent.v1.Hello;
import com.proxyvault.contracts.agent.v1.ModemInfo;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.hibernate.reactive.mutiny.Mutiny;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Set;

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

    public AgentStore(Mutiny.SessionFactory sessionFactory, Clock clock, AgentLiveness liveness, FleetReplicas replicas) {
        this.liveness = liveness;
        this.replicas = replicas;
        this.sessionFactory = sessionFactory;
        this.clock = clock;
    }

    private LocalDateTime now() {
        return ClockProducer.utcNow(clock);
    }

    /**
     * Records the agent as connected, its stream held by this replica, and replaces its modem list with the one it announced: a modem it no
     * longer reports goes offline (its proxies stay, they just get no new ones). Its offline proxies are active
     * again ({@link AgentLiveness#backOnline}) in the same transaction.
     */
    public Uni<Void> register(Hello hello) {
        LocalDateTime now = now();
        return sessionFactory.withTransaction(session -> session.createNativeQuery("""
                                insert into agents (id, public_host, port_range_start, port_range_end, agent_version, connected,
                                                    last_seen_at, replica_id)
                                values (:id, :host, :start, :end, :version, true, :now, :replica)
                                on conflict (id) do update set public_host = excluded.public_host,
                                    port_range_start = excluded.port_range_start, port_range_end = excluded.port_range_end,
                                    agent_version = excluded.agent_version, connected = true, last_seen_at = excluded.last_seen_at,
                                    replica_id = excluded.replica_id""")
                        .setParameter("replica", replicas.id())
                        .setParameter("id", hello.getAgentId())
                        .setParameter("host", hello.getPublicHost())
                        .setParameter("start", hello.getPortRangeStart())
                        .setParameter("end", hello.getPortRangeEnd())
                        .setParameter("version", hello.getAgentVersion())
                        .setParameter("now", now)
                        .executeUpdate()
                        .chain(() -> session.createNativeQuery("update modems set online = false, updated_at = :now where agent_id = :agent")
                                .setParameter("now", now).setParameter("agent", hello.getAgentId()).executeUpdate())
                        .chain(() -> session.createNativeQuery("select id from locations", String.class).getResultList())
                        .chain(locations -> upsertModems(session, hello.getAgentId(), hello.getModemsList(), Set.copyOf(locations), now))
                        .chain(() -> liveness.backOnline(session, hello.getAgentId(), now)))
                .replaceWithVoid();
    }

    private Uni<Void> upsertModems(Mutiny.Session session, String agentId, List<ModemInfo> modems, Set<String> locations, LocalDateTime now) {
        Uni<Void> chain = Uni.createFrom().voidItem();
        for (ModemInfo modem : modems) {
            if (!locations.contains(modem.getLocationId())) {
                LOG.warnf("Agent %s reports modem %s in unknown location %s: ignored", agentId, modem.getModemId(), modem.getLocationId());
                continue;
            }
            chain = chain.chain(() -> session.createNativeQuery("""
                            insert into modems (id, agent_id, modem_id, location_id, is_5g, exit_ip, online, updated_at)
                            values (:id, :agent, :modem, :location, :is5g, :exitIp, true, :now)
                            on conflict (id) do update set location_id = excluded.location_id, is_5g = excluded.is_5g,
                                exit_ip = excluded.exit_ip, online = true, updated_at = excluded.updated_at""")
                    .setParameter("id", agentId + "/" + modem.getModemId())
                    .setParameter("agent", agentId)
                    .setParameter("modem", modem.getModemId())
                    .setParameter("location", modem.getLocationId())
                    .setParameter("is5g", modem.getIs5G())
                    .setParameter("exitIp", modem.getExitIp())
                    .setParameter("now", now)
                    .executeUpdate()
                    .replaceWithVoid());
        }
        return chain;
    }

    /**
     * The agent's stream on this replica ended: it is no longer connected, and no longer held here — unless
     * it has meanwhile said Hello to another replica, whose claim stands.
     */
    public Uni<Void> disconnected(String agentId) {
        return sessionFactory.withTransaction(session -> session
                .createNativeQuery("""
                        update agents set connected = false, replica_id = null
                        where id = :id and (replica_id = :replica or replica_id is null)""")
                .setParameter("id", agentId).setParameter("replica", replicas.id()).executeUpdate()).replaceWithVoid();
    }
}
