package com.proxyvault.agent.link;

import jakarta.inject.Singleton;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready only while the fleet stream is open and welcomed: an agent the fleet can't command
 * shouldn't be counted as serving, even though its existing listeners keep working.
 */
@Readiness
@Singleton
public class FleetLinkHealthCheck implements HealthCheck {

    private final FleetLink link;

    public FleetLinkHealthCheck(FleetLink link) {
        this.link = link;
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("fleet-link")
                .status(link.isEstablished())
                .withData("fleet", link.fleetAddress())
                .build();
    }
}
