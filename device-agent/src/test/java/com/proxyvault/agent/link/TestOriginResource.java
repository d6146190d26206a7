package com.proxyvault.agent.link;

import com.proxyvault.agent.proxy.TestOrigin;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.Map;

/**
 * Starts a {@link TestOrigin} on 127.0.0.1 before the agent and allowlists exactly that origin
 * ({@code agent.allowed-private-targets=127.0.0.1:<its port>}): the agent allows no loopback origin otherwise.
 */
public class TestOriginResource implements QuarkusTestResourceLifecycleManager {

    /** Marks the test field that receives the running TestOrigin. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.FIELD)
    public @interface InjectTestOrigin {
    }

    private TestOrigin origin;

    @Override
    public Map<String, String> start() {
        try {
            origin = new TestOrigin();
        } catch (IOException e) {
            throw new UncheckedIOException("Could not start the test origin", e);
        }
        return Map.of("agent.allowed-private-targets", origin.authority());
    }

    @Override
    public void inject(TestInjector testInjector) {
        testInjector.injectIntoFields(origin, new TestInjector.AnnotatedAndMatchesType(InjectTestOrigin.class, TestOrigin.class));
    }

    @Override
    public void stop() {
        if (origin != null) {
            origin.close();
        }
    }
}
