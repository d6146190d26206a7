package com.proxyvault.agent.link;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.Map;

/**
 * Two {@link FakeFleet}s, as two fleet replicas without a load balancer in front, and the agent given both addresses
 * the way bin/stack gives them (docs/fleet.md "Several fleet addresses"): gRPC's Stork resolver over a static list.
 */
public class TwoFakeFleetsResource implements QuarkusTestResourceLifecycleManager {

    /** Marks the test field that receives the running pair. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.FIELD)
    public @interface InjectFakeFleets {
    }

    /** The two replicas, in the order the agent's address list names them. */
    public record FakeFleets(FakeFleet first, FakeFleet second) {
    }

    private FakeFleets fleets;

    @Override
    public Map<String, String> start() {
        fleets = new FakeFleets(new FakeFleet(), new FakeFleet());
        try {
            fleets.first().start();
            fleets.second().start();
        } catch (Exception e) {
            throw new IllegalStateException("Could not start the fake fleets", e);
        }
        return Map.of(
                "quarkus.grpc.clients.fleet.name-resolver", "stork",
                "quarkus.grpc.clients.fleet.host", "fleet",
                "quarkus.stork.fleet.service-discovery.address-list",
                "127.0.0.1:" + fleets.first().port() + ",127.0.0.1:" + fleets.second().port());
    }

    @Override
    public void inject(TestInjector testInjector) {
        testInjector.injectIntoFields(fleets, new TestInjector.AnnotatedAndMatchesType(InjectFakeFleets.class, FakeFleets.class));
    }

    @Override
    public void stop() {
        if (fleets != null) {
            fleets.first().stop();
            fleets.second().stop();
        }
    }
}
