package com.proxyvault.fleet.provisioning;

import com.proxyvault.fleet.agents.AgentRegistry;
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
 * replica. Otherwise the replica holding its stream is notified and tells it at once ({@link EndedReleases});
 * the agent's next heartbeat, which names the expired proxy, or its reconnect ({@link Reconciler}) are the
 * backstops.
 */
@ApplicationScoped
public class ExpiryJob {

    private static final Logger LOG = Logger.getLogger(ExpiryJob.class);

    private final ProxyTransitions transitions;
    private final AgentRouter agents;
    private final AgentRegistry registry;
    private final EndedReleases releases;
    private final PhasedJobs jobs;
    private final Duration interval;

    public ExpiryJob(ProxyTransitions transitions, AgentRouter agents, AgentRegistry registry, EndedReleases releases,
                     PhasedJobs jobs, @ConfigProperty(name = "proxyvault.fleet.expiry-interval") Duration interval) {
        this.registry = registry;
        this.releases = releases;
        this.transitions = transitions;
        this.agents = agents;
        this.jobs = jobs;
        this.interval = interval;
    }

    void start(@Observes StartupEvent event) {
        jobs.every("Expiry", interval, PhasedJobs.Phase.EXPIRY, this::expire);
    }

    Uni<Void> expire() {
        return transitions.expireDue(100).invoke(expired -> {
            boolean elsewhere = false;
            for (var proxy : expired) {
                LOG.infof("Proxy %d of order %d expired", proxy.id, proxy.orderId);
                if (registry.session(proxy.agentId).isPresent()) {
                    agents.releaseQuietly(proxy.agentId, proxy.id, proxy.port, null);
                } else {
                    elsewhere = true;
                }
            }
            if (elsewhere) {
                releases.announce(); // the replica holding the agent's stream closes the port now (EndedReleases)
            }
        }).replaceWithVoid();
    }
}
