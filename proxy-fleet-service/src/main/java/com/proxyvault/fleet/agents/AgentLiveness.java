package com.proxyvault.fleet.agents;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.proxyvault.contracts.events.EventEnvelope;
import com.proxyvault.contracts.events.EventTypes;
import com.proxyvault.contracts.events.ProxyOffline;
import com.proxyvault.contracts.events.ProxyOnline;
import com.proxyvault.fleet.proxies.ProxyStatus;
import com.proxyvault.platform.outbox.Outbox;
import com.proxyvault.platform.time.ClockProducer;
import com.proxyvault.fleet.jobs.PhasedJobs;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.hibernate.reactive.mutiny.Mutiny;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.List;

/**
 * Offline detection (issue 8, item 6; docs/fleet.md "Offline detection"). An agent's {@code last_seen_at} moves
 * with its Hello and every heartbeat; when it is older than {@code proxyvault.fleet.heartbeat-timeout} the
 * agent's active proxies become {@code offline} and {@code proxy.offline} goes out for each (one transaction,
 * rows claimed {@code for update skip locked}: with several fleet replicas each proxy is announced once). The
 * stream's end alone does not count — a fleet restart ends every stream and the agents are back in seconds —
 * only silence does. An offline proxy keeps its port and modem slot (fleet migration V22). When the agent says Hello
 * again, its registration ({@link AgentStore#register}) makes its offline proxies active in the same transaction that
 * marks it connected and announces {@code proxy.online}; the reconciler then re-sends whatever the agent no longer
 * serves. An agent heard again on the stream it kept (a network blip, the fleet's own writes failing for a while)
 * says no Hello: its heartbeats report the proxies it serves, and the batch that writes them makes those active again
 * ({@link HeartbeatWriter}).
 */
@ApplicationScoped
public class AgentLiveness {

    private static final Logger LOG = Logger.getLogger(AgentLiveness.class);
    private static final int BATCH = 200;

    private final Mutiny.SessionFactory sessionFactory;
    private final ObjectMapper mapper;
    private final Clock clock;
    private final Duration timeout;
    private final PhasedJobs jobs;
    private final Duration interval;
    private final FleetStart start;

    public AgentLiveness(Mutiny.SessionFactory sessionFactory, ObjectMapper mapper, Clock clock, PhasedJobs jobs,
                         FleetStart start,
                         @ConfigProperty(name = "proxyvault.fleet.heartbeat-timeout") Duration timeout,
                         @ConfigProperty(name = "proxyvault.fleet.dispatch-interval") Duration interval) {
        this.start = start;
        this.sessionFactory = sessionFactory;
        this.mapper = mapper;
        this.clock = clock;
        this.timeout = timeout;
        this.jobs = jobs;
        this.interval = interval;
    }

    void start(@Observes StartupEvent event) {
        jobs.every("Offline detection", interval, PhasedJobs.Phase.LIVENESS, this::sweep);
    }

    Uni<Void> sweep() {
        return markSilentAgentsOffline().replaceWithVoid();
    }

    /** One sweep transaction; returns how many proxies went offline. */
    public Uni<Integer> markSilentAgentsOffline() {
        LocalDateTime now = ClockProducer.utcNow(clock);
        if (start.settling(now)) {
            // just started: nobody wrote heartbeats while this replica (or the whole fleet) was down, so every agent
            // looks silent until it has dialled back in (FleetStart)
            return Uni.createFrom().item(0);
        }
        // From the silent agents to their active proxies (proxies_active_by_agent): with every agent live the
        // sweep reads only the agents. The join the other way round walked the proxies' primary key through
        // every proxy ever made, expired ones included (44 ms per sweep, each second, with 23,000 rows after
        // bench runs; docs/benchmarks.md "Where an 'idle' stack spends PostgreSQL").
        // A proxy a connect is moving (moving_until ahead) is left to the move: it is active at the new place only
        // while the connect waits for that agent, and the connect either succeeds (the agent answered: it is not
        // silent) or puts the proxy back as it was, offline included. Marked offline meanwhile, an offline proxy got
        // a second proxy.offline (a new event id) for each refused connect (new-user review, stop 30, M0).
        // The candidates' agents are then locked (for share) and their silence checked again on the rows as they are
        // now: a Hello or a heartbeat batch that committed after this read, or that runs right now (it waits for the
        // lock, then revives what this sweep marked), would otherwise be overridden by a decision taken on an agent
        // row that was already stale (static review, stop 27, finding 2: the agent back, its proxy offline, and the
        // reconciler had already closed its listener).
        return sessionFactory.withTransaction(session -> session.createNativeQuery("""
                        select p.id, p.order_id, p.reseller_id, a.last_seen_at, a.id as agent_id
                        from agents a cross join lateral (
                            select p.id, p.order_id, p.reseller_id from proxies p
                            where p.agent_id = a.id and p.status = 'active'
                              and (p.moving_until is null or p.moving_until <= :now)
                            limit :batch
                            for update skip locked) p
                        where a.last_seen_at < :silentSince
                        order by p.id limit :batch""", Object[].class)
                .setParameter("silentSince", now.minus(timeout))
                .setParameter("now", now)
                .setParameter("batch", BATCH)
                .getResultList()
                .chain(candidates -> candidates.isEmpty() ? Uni.createFrom().item(List.<Object[]>of()) : session.createNativeQuery("""
                                select a.id from agents a where a.id in (:agents) and a.last_seen_at < :silentSince
                                for share""", String.class)
                        .setParameter("agents", candidates.stream().map(row -> (String) row[4]).distinct().toList())
                        .setParameter("silentSince", now.minus(timeout))
                        .getResultList()
                        .map(stillSilent -> candidates.stream().filter(row -> stillSilent.contains((String) row[4])).toList()))
                .chain(rows -> rows.isEmpty() ? Uni.createFrom().item(0) : session.createNativeQuery("""
                                update proxies set status = :offline, updated_at = :now where id in (:ids)""")
                        .setParameter("offline", ProxyStatus.OFFLINE)
                        .setParameter("now", now)
                        .setParameter("ids", rows.stream().map(row -> ((Number) row[0]).longValue()).toList())
                        .executeUpdate()
                        .chain(() -> Multi.createFrom().iterable(rows)
                                .onItem().transformToUniAndConcatenate(row -> Outbox.append(session, mapper, EventEnvelope.of(
                                        EventTypes.PROXY_OFFLINE, ((Number) row[2]).longValue(),
                                        new ProxyOffline(((Number) row[0]).longValue(), ((Number) row[1]).longValue(),
                                                (LocalDateTime) row[3]), clock)).replaceWith(true))
                                .collect().last())
                        .invoke(() -> LOG.warnf("%d proxies offline: their agents were silent for over %s", rows.size(), timeout))
                        .replaceWith(rows.size())));
    }

    /**
     * In the Hello's registration transaction ({@link AgentStore#register}, which set them offline because the agent no
     * longer announces their modem): {@code proxy.offline} for each {@code (id, order_id, reseller_id, ...)} row.
     */
    Uni<Void> announceOffline(Mutiny.Session session, List<Object[]> rows, LocalDateTime now) {
        return Multi.createFrom().iterable(rows)
                .onItem().transformToUniAndConcatenate(row -> Outbox.append(session, mapper, EventEnvelope.of(
                        EventTypes.PROXY_OFFLINE, ((Number) row[2]).longValue(),
                        new ProxyOffline(((Number) row[0]).longValue(), ((Number) row[1]).longValue(), now), clock)).replaceWith(true))
                .collect().last().replaceWithVoid();
    }

    /**
     * In the Hello's registration transaction ({@link AgentStore#register}, which made them active again):
     * {@code proxy.online} for each revived proxy's {@code (id, order_id, reseller_id, ...)} row.
     */
    Uni<Void> announceOnline(Mutiny.Session session, String agentId, List<Object[]> rows) {
        if (rows.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        LOG.infof("Agent %s is back: %d offline proxies active again", agentId, rows.size());
        return Multi.createFrom().iterable(rows)
                .onItem().transformToUniAndConcatenate(row -> Outbox.append(session, mapper, EventEnvelope.of(
                        EventTypes.PROXY_ONLINE, ((Number) row[2]).longValue(),
                        new ProxyOnline(((Number) row[0]).longValue(), ((Number) row[1]).longValue()), clock)).replaceWith(true))
                .collect().last().replaceWithVoid();
    }
}
