package com.proxyvault.fleet.provisioning;

import com.proxyvault.contracts.agent.v1.CommandResult;
import com.proxyvault.fleet.agents.AgentRegistry;
import com.proxyvault.fleet.agents.AgentRouter;
import com.proxyvault.fleet.agents.AgentSession;
import com.proxyvault.fleet.agents.CommandConfig;
import com.proxyvault.fleet.agents.FleetReplicas;
import com.proxyvault.platform.vertx.VertxContexts;
import com.proxyvault.fleet.proxies.Proxy;
import com.proxyvault.fleet.proxies.ProxyStatus;
import com.proxyvault.platform.signals.CoalescingRunner;
import com.proxyvault.platform.signals.CommitSignals;
import io.quarkus.runtime.StartupEvent;
import com.proxyvault.fleet.jobs.PhasedJobs;
import jakarta.enterprise.event.Observes;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.hibernate.reactive.mutiny.Mutiny;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.LocalDateTime;
import java.util.Optional;

/**
 * Drives proxies in {@code provisioning}: sends ProvisionProxy to agents connected to this replica (again
 * if an answer got lost), activates or fails the proxy on the agent's answer, and fails proxies no agent
 * confirmed within the timeout. Working from the database rather than from the Kafka handler means a
 * restart, a reconnect or a second replica loses no proxy.
 *
 * <p>Dispatch starts the moment a proxy row enters {@code provisioning}: the table's trigger notifies
 * {@value #CHANNEL} on commit and every replica's {@link CommitSignals} wakes this job (the replica holding
 * the agent's stream claims the row). A row the order.paid consumer claimed in its own insert (its replica holds
 * the stream) notifies nobody: that consumer sends it ({@link #send}; fleet migration V17). The {@code proxyvault.fleet.dispatch-interval} tick stays as the
 * safety net and also fails overdue proxies.
 */
@ApplicationScoped
public class ProvisioningJob {

    private static final Logger LOG = Logger.getLogger(ProvisioningJob.class);

    private final Mutiny.SessionFactory sessionFactory;
    private final Pool pool;
    private final AgentRegistry agents;
    private final AgentRouter router;
    private final FleetReplicas replicas;
    private final ProxyTransitions transitions;
    private final VertxContexts contexts;
    private final Duration provisionTimeout;
    private final CommitSignals signals;
    private final CoalescingRunner dispatcher;
    /** How long a sent ProvisionProxy waits for its result before it is sent again (the command's timeout). */
    private final Duration resendAfter;
    private final PhasedJobs jobs;
    private final Duration interval;

    /** Notified by the {@code proxies} trigger when a row enters provisioning (fleet migration V3). */
    static final String CHANNEL = "proxy_dispatch";
    private static final int DISPATCH_BATCH = 50;

    /**
     * The claim: proxies in provisioning whose agent's stream this replica holds, never sent or sent longer than
     * the command's timeout ago ($3), at most $4, locked (skip locked: another replica's or run's claim is left
     * alone) and marked sent at $1, returning {@link ProxyTransitions#CLAIMED_COLUMNS}. "Agents held here" is the
     * agents row's replica_id ($2; written by the Hello's registration and re-claimed by every heartbeat batch),
     * not a list of this replica's agents bound as a parameter: with 10,000 agents that list cost PostgreSQL
     * ~29 ms of planning per dispatch (bench/fleet, docs/fleet.md "Dispatch without the agent list"). The status
     * is spelled out so the statement starts from the small proxies_provisioning index; send() still skips a row
     * whose agent's stream is not in the registry.
     */
    static final String CLAIM = """
            update proxies p set command_sent_at = $1
            where p.id in (select c.id from proxies c join agents a on a.id = c.agent_id
                           where c.status = 'provisioning' and a.replica_id = $2
                             and (c.command_sent_at is null or c.command_sent_at < $3)
                           order by c.id limit $4 for update of c skip locked)
            returning\s""" + ProxyTransitions.CLAIMED_COLUMNS;

    public ProvisioningJob(Mutiny.SessionFactory sessionFactory, Pool pool, AgentRegistry agents, AgentRouter router, FleetReplicas replicas,
                           ProxyTransitions transitions, VertxContexts contexts, CommitSignals signals, CommandConfig commands,
                           PhasedJobs jobs,
                           @ConfigProperty(name = "proxyvault.fleet.provision-timeout") Duration provisionTimeout,
                           @ConfigProperty(name = "proxyvault.fleet.dispatch-interval") Duration interval) {
        this.sessionFactory = sessionFactory;
        this.pool = pool;
        this.agents = agents;
        this.router = router;
        this.replicas = replicas;
        this.transitions = transitions;
        this.contexts = contexts;
        this.signals = signals;
        this.provisionTimeout = provisionTimeout;
        this.resendAfter = commands.provisionTimeout();
        this.jobs = jobs;
        this.interval = interval;
        this.dispatcher = new CoalescingRunner("Provisioning dispatch", () -> contexts.onNewContext(this::dispatch));
    }

    void listen(@Observes StartupEvent event) {
        signals.listen(CHANNEL, dispatcher::signal);
        jobs.every("Provisioning sweep", interval, PhasedJobs.Phase.PROVISIONING, this::run);
    }

    /** Dispatch now (a proxy is waiting, or an agent just connected). */
    public void wake() {
        dispatcher.signal();
    }

    Uni<Void> run() {
        return failOverdue().invoke(this::wake);
    }

    /**
     * Claims proxies waiting for a command and marks them sent, in one autocommit statement on the Pool
     * ({@link #CLAIM}), then sends after it committed. The statement returns what the command and the
     * activation need, so the agent's ok is recorded without reading the row again ({@link ProxyTransitions#activate(Proxy)}).
     */
    Uni<Void> dispatch() {
        if (agents.connectedAgentIds().isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        LocalDateTime now = transitions.now();
        return pool.preparedQuery(CLAIM)
                .execute(Tuple.of(now, replicas.id(), now.minus(resendAfter), DISPATCH_BATCH))
                .invoke(rows -> {
                    int claimed = 0;
                    for (Row row : rows) {
                        send(ProxyTransitions.claimed(row));
                        claimed++;
                    }
                    if (claimed == DISPATCH_BATCH) {
                        wake(); // more are waiting: no per-tick ceiling
                    }
                })
                .replaceWithVoid();
    }

    /**
     * Sends ProvisionProxy for a proxy claimed for dispatch by this replica (by {@link #CLAIM}, or by the order.paid
     * consumer's placement, {@link OrderPaidListener}), after the claim committed; the agent's answer activates or
     * fails it. No stream here any more: nothing is sent, and the proxy goes out again after the resend interval,
     * or at once when its agent's Hello resets the marks ({@link Reconciler}).
     */
    void send(Proxy proxy) {
        Optional<AgentSession> session = agents.session(proxy.agentId);
        if (session.isEmpty()) {
            return; // disconnected meanwhile: re-sent after it reconnects, or failed by the timeout
        }
        session.get().command(AgentCommands.provision(proxy))
                .subscribe().with(
                        result -> onResult(proxy, result),
                        failure -> LOG.warnf("Proxy %d: no answer from agent %s (%s); will retry", proxy.id, proxy.agentId, failure.getMessage()));
    }

    private void onResult(Proxy claimed, CommandResult result) {
        long proxyId = claimed.id;
        Uni<Boolean> outcome = result.getOk()
                ? contexts.onNewContext(() -> transitions.activate(claimed))
                : contexts.onNewContext(() -> transitions.fail(proxyId, "Agent could not open the proxy: " + result.getError()));
        outcome.subscribe().with(
                changed -> LOG.infof("Proxy %d %s", proxyId, result.getOk() ? "active" : "failed: " + result.getError()),
                failure -> LOG.errorf(failure, "Recording the agent's answer for proxy %d failed; will retry", proxyId));
    }

    /** Proxies no agent confirmed in time fail (and their orders are refunded). */
    Uni<Void> failOverdue() {
        LocalDateTime deadline = transitions.now().minus(provisionTimeout);
        return sessionFactory.withTransaction(session -> session.createNativeQuery("""
                                select %s from proxies where status = :provisioning and created_at < :deadline
                                order by id limit 50 for update skip locked""".formatted(Proxy.COLUMNS), Proxy.class)
                .setParameter("provisioning", ProxyStatus.PROVISIONING)
                .setParameter("deadline", deadline)
                .getResultList()
                .call(overdue -> Multi.createFrom().iterable(overdue)
                        .onItem().transformToUniAndConcatenate(proxy ->
                                transitions.fail(session, proxy, "The proxy's agent did not confirm it in time"))
                        .collect().last())
                .invoke(overdue -> overdue.forEach(p -> router.releaseQuietly(p.agentId, p.id, p.port, null))))
                .replaceWithVoid();
    }
}
