package com.proxyvault.fleet.provisioning;

import com.proxyvault.fleet.agents.AgentRouter;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;


/**
 * Ends proxies at expires_at: status and {@code proxy.expired} commit together (row locks make that happen
 * once even with several replicas), then the agent is told to close the port if its stream is on this
 * replica. Otherwise its own replica tells it on the agent's next heartbeat, which names the expired
 * proxy, or when it reconnects ({@link Reconciler}).
 */
@ApplicationScoped
public class ExpiryJob {

    private static final Logger LOG = Logger.getLogger(ExpiryJob.class);

    private final ProxyTransitions transitions;
    private final AgentRouter agents;

    public ExpiryJob(ProxyTransitions transitions, AgentRouter agents) {
        this.transitions = transitions;
        this.agents = agents;
    }

    @Scheduled(every = "${proxyvault.fleet.expiry-interval}", delayed = "1s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> expire() {
        return transitions.expireDue(100).invoke(expired -> expired.forEach(proxy -> {
            LOG.infof("Proxy %d of order %d expired", proxy.id, proxy.orderId);
            agents.releaseQuietly(proxy.agentId, proxy.id, proxy.port, null);
        })).replaceWithVoid();
    }
}
