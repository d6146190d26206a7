package com.proxyvault.fleet.agents;

import com.proxyvault.platform.time.ClockProducer;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Duration;
import java.time.LocalDateTime;

/**
 * The first moments of this replica, while agents dial back in: {@code proxyvault.fleet.startup-grace}
 * ({@code FLEET_STARTUP_GRACE}, 35 s: the agents' longest reconnect delay, 30 s, plus a margin) from its start. A fleet
 * that was down (a single replica restarted, or every replica at once) knew no agent when it came back, so it failed
 * every {@code order.paid} queued meanwhile with "No free modem available" and refunded it before the agents had
 * reconnected, and marked every agent's proxies offline because no heartbeat had been written while it was down
 * (new-user review 5, finding 1). During the grace a placement that finds no modem waits and tries again
 * ({@code OrderPaidListener}) and this replica marks nothing offline ({@link AgentLiveness}); replicas that stayed up
 * carry on as before (docs/fleet.md "After a fleet restart").
 */
@ApplicationScoped
public class FleetStart {

    private static final Logger LOG = Logger.getLogger(FleetStart.class);

    private final Clock clock;
    private volatile LocalDateTime startedAt;
    private volatile Duration grace;

    public FleetStart(Clock clock, @ConfigProperty(name = "proxyvault.fleet.startup-grace") Duration grace) {
        this.clock = clock;
        this.grace = grace;
        this.startedAt = ClockProducer.utcNow(clock);
    }

    void start(@Observes StartupEvent event) {
        settleFrom(ClockProducer.utcNow(clock), grace);
        if (!grace.isZero()) {
            LOG.infof("Startup grace %s: placements wait for agents to reconnect, and none is marked offline", grace);
        }
    }

    /** True while agents may still be dialling back in after this replica's start ({@code now} before start + grace). */
    public boolean settling(LocalDateTime now) {
        return now.isBefore(startedAt.plus(grace));
    }

    /** Sets the start and the grace: what a start does (tests call it to play one). */
    public void settleFrom(LocalDateTime start, Duration grace) {
        this.startedAt = start;
        this.grace = grace;
    }
}
