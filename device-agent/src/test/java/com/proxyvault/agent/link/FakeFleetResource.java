package com.proxyvault.agent.link;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.Map;

/** Starts a {@link FakeFleet} before the agent and points the agent's gRPC client at it. */
public class FakeFleetResource implements QuarkusTestResourceLifecycleManager {

    /** Marks the test field that receives the running FakeFleet. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.FIELD)
    public @interface InjectFakeFleet {
    }

    private FakeFleet fleet;

    @Override
    public Map<String, String> start() {
        fleet = new FakeFleet();
        try {
            fleet.start();
        } catch (Exception e) {
            throw new IllegalStateException("Could not start the fake fleet", e);
        }
        return Map.of(
                "quarkus.grpc.clients.fleet.host", "127.0.0.1",
                "quarkus.grpc.clients.fleet.port", String.valueOf(fleet.port()),
                // In test mode Quarkus dials test-port (default 9001) instead of port.
                "quarkus.grpc.clients.fleet.test-port", String.valueOf(fleet.port()));
    }

    @Override
    public void inject(TestInjector testInjector) {
        testInjector.injectIntoFields(fleet, new TestInjector.AnnotatedAndMatchesType(InjectFakeFleet.class, FakeFleet.class));
    }

    @Override
    public void stop() {
        if (fleet != null) {
            fleet.stop();
        }
    }
}
