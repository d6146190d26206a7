package com.proxyvault.fleet.provisioning;

import com.proxyvault.fleet.agents.AgentRouter;
import com.proxyvault.fleet.jobs.PhasedJobs;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.time.Duration;


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
    private final PhasedJobs jobs;
    private final Duration interval;

    public ExpiryJob(ProxyTransitions transitions, AgentRouter agents, PhasedJobs jobs,
                     @ConfigProperty(name = "proxyvault.fleet.expiry-interval") Duration interval) {
        this.transitions = transitions;
        this.agents = agents;
        this.jobs = jobs;
        this.interval = interval;
    }

    void start(@Observes StartupEvent event) {
        jobs.every("Expiry", interval, PhasedJobs.Phase.EXPIRY, this::expire);
    }

    Uni<Void> expire() {
        return transitions.expireDue(100).invoke(expired -> expired.forEach(proxy -> {
            LOG.infof("Proxy %d of order %d expired", proxy.id, proxy.orderId);
            agents.releaseQuietly(proxy.agentId, proxy.id, proxy.port, null);
        })).replaceWithVoid();
    }
}
