package com.proxyvault.agent.proxy;

import jakarta.inject.Singleton;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;

/** Liveness: the process is up and its listeners are being served (the count is informative). */
@Liveness
@Singleton
public class ProxyListenersHealthCheck implements HealthCheck {

    private final ProxyListeners listeners;

    public ProxyListenersHealthCheck(ProxyListeners listeners) {
        this.listeners = listeners;
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("proxy-listeners")
                .up()
                .withData("served", listeners.served().size())
                .build();
    }
}
