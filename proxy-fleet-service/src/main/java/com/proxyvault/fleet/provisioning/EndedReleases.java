package com.proxyvault.fleet.provisioning;

import com.proxyvault.fleet.agents.AgentRegistry;
import com.proxyvault.fleet.agents.AgentRouter;
import com.proxyvault.fleet.agents.FleetReplicas;
import com.proxyvault.fleet.proxies.ProxyStatus;
import com.proxyvault.platform.signals.CoalescingRunner;
import com.proxyvault.platform.signals.CommitSignals;
import com.proxyvault.platform.time.ClockProducer;
import com.proxyvault.platform.vertx.VertxContexts;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import java.time.Clock;
import java.time.Duration;

/**
 * Closes at once the listeners of proxies another replica ended. The expiry job (and a provisioning that timed out)
 * runs on whichever replica claimed the row; when the agent's stream is on another one it cannot send the release
 * (no caller's token to forward with), and the port, free in the database from that commit, kept its listener until
 * the agent's next heartbeat (up to 10 s): a purchase placed there meanwhile was refused by the agent and refunded
 * (static review, stop 27, finding 3). Now that replica notifies {@value #CHANNEL} after its commit, and every
 * replica releases the proxies ended in the last {@link #WINDOW} on agents whose stream it holds. Releases go by
 * proxy id, so a repeat is harmless; the heartbeat check stays as the backstop (docs/fleet.md "Releases without a
 * caller").
 */
@ApplicationScoped
public class EndedReleases {

    /** The notification channel: no payload, the listeners read what ended. */
    public static final String CHANNEL = "proxy_ended";
    /** How far back a signal looks: longer than a notification takes, shorter than the heartbeat backstop matters. */
    static final Duration WINDOW = Duration.ofSeconds(60);
    static final String ENDED_HERE = """
            select p.id, p.port, p.agent_id from proxies p join agents a on a.id = p.agent_id
            where p.status = any($1) and p.updated_at > $2 and a.replica_id = $3""";

    private final Pool pool;
    private final CommitSignals signals;
    private final AgentRegistry registry;
    private final AgentRouter router;
    private final FleetReplicas replicas;
    private final Clock clock;
    private final CoalescingRunner runner;

    public EndedReleases(Pool pool, CommitSignals signals, AgentRegistry registry, AgentRouter router,
                         FleetReplicas replicas, Clock clock, VertxContexts contexts) {
        this.pool = pool;
        this.signals = signals;
        this.registry = registry;
        this.router = router;
        this.replicas = replicas;
        this.clock = clock;
        this.runner = new CoalescingRunner("Releases of ended proxies", () -> contexts.onNewContext(this::releaseEndedHere));
    }

    void listen(@Observes StartupEvent event) {
        signals.listen(CHANNEL, runner::signal);
    }

    /** Tells every replica that proxies ended here (after the commit); best effort, the heartbeat is the backstop. */
    public void announce() {
        pool.query("select pg_notify('" + CHANNEL + "', '')").execute().subscribe().with(ignored -> { }, ignored -> { });
    }

    /** Sends a release for every proxy ended within {@link #WINDOW} on an agent whose stream is here. */
    Uni<Void> releaseEndedHere() {
        return pool.preparedQuery(ENDED_HERE)
                .execute(Tuple.of(new String[] {ProxyStatus.EXPIRED, ProxyStatus.FAILED},
                        ClockProducer.utcNow(clock).minus(WINDOW), replicas.id()))
                .invoke(rows -> {
                    for (Row row : rows) {
                        String agentId = row.getString("agent_id");
                        if (registry.session(agentId).isPresent()) {
                            router.releaseQuietly(agentId, row.getLong("id"), row.getInteger("port"), null);
                        }
                    }
                })
                .replaceWithVoid();
    }
}
