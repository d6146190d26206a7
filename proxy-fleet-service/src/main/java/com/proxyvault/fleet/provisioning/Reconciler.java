package com.proxyvault.fleet.provisioning;

import com.proxyvault.contracts.agent.v1.ServedProxy;
import com.proxyvault.fleet.agents.AgentSession;
import com.proxyvault.platform.vertx.VertxContexts;
import com.proxyvault.fleet.proxies.Proxy;
import com.proxyvault.fleet.proxies.ProxyStatus;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.hibernate.reactive.mutiny.Mutiny;
import org.jboss.logging.Logger;

import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * After an agent (re)connects, make what it serves match the database: close ports it serves for proxies
 * that are no longer live, re-open active proxies it lost (an agent restart), and re-send provisioning
 * commands right away instead of waiting for the resend interval.
 */
@ApplicationScoped
public class Reconciler {

    private static final Logger LOG = Logger.getLogger(Reconciler.class);

    private final Mutiny.SessionFactory sessionFactory;
    private final VertxContexts contexts;
    private final ProvisioningJob provisioning;

    public Reconciler(Mutiny.SessionFactory sessionFactory, VertxContexts contexts, ProvisioningJob provisioning) {
        this.sessionFactory = sessionFactory;
        this.contexts = contexts;
        this.provisioning = provisioning;
    }

    /**
     * After the agent's Welcome: its provisioning proxies are due for a resend at once and the dispatcher is woken;
     * what it serves is made to match its active proxies, and its offline ones: the Hello made them active, but an
     * offline sweep that read the agent's row before the Hello may have marked some offline again since; their place
     * is theirs (V22), so their listeners stay or are re-opened, and the heartbeats that report them serve make them
     * active (HeartbeatWriter) instead of the listener being closed under a proxy that would then stay offline
     * (static review, stop 27, finding 2). Only on modems the Hello announced ({@code modems.online}): a proxy on a
     * modem the agent no longer has stays offline and is not sent to it (the agent would refuse it; new-user review 6
     * saw a re-open of each such proxy at every Hello). One statement, no transaction around it: the reset of
     * the resend marks and the read of the active proxies are independent (docs/fleet.md "A Hello in one statement").
     */
    public void afterHello(AgentSession session, List<ServedProxy> served) {
        contexts.onNewContext(() -> sessionFactory.withSession(db -> db.createNativeQuery("""
                                with resend as (
                                    update proxies set command_sent_at = null
                                    where agent_id = :agent and status = :provisioning and command_sent_at is not null)
                                select %s from proxies p
                                where p.agent_id = :agent and p.status in (:served)
                                  and exists (select 1 from modems m where m.id = p.modem_id and m.online)"""
                                .formatted(Proxy.COLUMNS), Proxy.class)
                        .setParameter("agent", session.agentId())
                        .setParameter("provisioning", ProxyStatus.PROVISIONING)
                        .setParameter("served", List.of(ProxyStatus.ACTIVE, ProxyStatus.OFFLINE))
                        .getResultList()))
                .subscribe().with(active -> {
                            provisioning.wake(); // its waiting proxies go out now, not at the next tick
                            reconcile(session, served, active);
                        },
                        failure -> LOG.errorf(failure, "Reconciling agent %s failed", session.agentId()));
    }

    private void reconcile(AgentSession session, List<ServedProxy> served, List<Proxy> active) {
        Map<Long, Proxy> activeById = active.stream().collect(Collectors.toMap(p -> p.id, Function.identity()));
        Map<Long, ServedProxy> servedById = served.stream()
                .collect(Collectors.toMap(ServedProxy::getProxyId, Function.identity(), (a, b) -> a));
        for (ServedProxy proxy : served) {
            Proxy live = activeById.get(proxy.getProxyId());
            if (live == null || live.port != proxy.getPort()) {
                fireAndLog(session, AgentCommands.release(proxy.getProxyId(), proxy.getPort()),
                        "release stale proxy " + proxy.getProxyId());
            }
        }
        for (Proxy proxy : active) {
            ServedProxy servedAs = servedById.get(proxy.id);
            // Not served, or served on another port (released just above): open it where the database says.
            if (servedAs == null || servedAs.getPort() != proxy.port) {
                fireAndLog(session, AgentCommands.provision(proxy), "re-open proxy " + proxy.id);
            }
        }
    }

    private void fireAndLog(AgentSession session, com.proxyvault.contracts.agent.v1.FleetMessage.Builder command, String what) {
        LOG.infof("Agent %s: %s", session.agentId(), what);
        session.command(command).subscribe().with(
                result -> {
                    if (!result.getOk()) {
                        LOG.warnf("Agent %s could not %s: %s", session.agentId(), what, result.getError());
                    }
                },
                failure -> LOG.warnf("Agent %s did not answer to %s", session.agentId(), what));
    }

}
