package com.proxyvault.agent;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.io.IOException;
import java.net.URL;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The agent's own application.properties, read as each profile reads it, with an empty environment: outside
 * %dev/%test nothing of the local stack may be filled in (no simulated driver, no fake modems, no
 * agent-local-1, no loopback fleet), so a production agent missing its configuration stops at start and names
 * what is missing (docs/decisions.md, "Production fails closed"). The same check on the built jar, started
 * with {@code java -jar}: system-tests' {@code ProductionConfigIT}.
 */
class ProductionDefaultsTest {

    /** What a production agent must be told; the variables ProductionConfigIT also expects named. */
    static final List<String> REQUIRED_IN_PRODUCTION = List.of(
            "AGENT_ID", "AGENT_TOKEN", "AGENT_PUBLIC_HOST", "AGENT_MODEMS", "AGENT_MODEM_DRIVER", "FLEET_GRPC_HOST");

    @Test
    void shouldRefuseToStartInProductionWithoutTheModemDriverOrAnyOtherLocalDefault() {
        var failure = assertThrows(RuntimeException.class, () -> config("prod", true).getConfigMapping(AgentConfig.class));
        String message = failure.getMessage();
        assertAll(REQUIRED_IN_PRODUCTION.stream().map(variable -> () ->
                assertTrue(message.contains("Could not expand value " + variable + " "), variable + " not named in:\n" + message)));
    }

    @Test
    void shouldStartTheLocalStackOnSimulatedModemsInDevAndTest() {
        for (String profile : List.of("dev", "test")) {
            AgentConfig agent = config(profile, true).getConfigMapping(AgentConfig.class);
            assertAll(profile,
                    () -> assertEquals("simulated", agent.modemDriver()),
                    () -> assertEquals("agent-local-1", agent.id()),
                    () -> assertEquals("127.0.0.1", agent.fleet().host()));
        }
    }

    @Test
    void shouldDialTheFleetOverTlsUnlessPlainTextIsAskedFor() {
        assertEquals("false", config("prod", false).getValue("quarkus.grpc.clients.fleet.plain-text", String.class));
        assertEquals("true", config("dev", false).getValue("quarkus.grpc.clients.fleet.plain-text", String.class));
    }

    /**
     * application.properties alone (no environment, no system properties) under {@code profile}; with
     * {@code mapping}, {@link AgentConfig} is mapped (and validated) when it is built, as at the agent's start.
     */
    private static SmallRyeConfig config(String profile, boolean mapping) {
        URL properties = ProductionDefaultsTest.class.getClassLoader().getResource("application.properties");
        try {
            var builder = new SmallRyeConfigBuilder()
                    .withProfile(profile)
                    .addDefaultInterceptors()
                    .withSources(new PropertiesConfigSource(properties, 250))
                    // Quarkus's converter reads "10s" as the application does.
                    .withConverter(Duration.class, 200, new io.quarkus.runtime.configuration.DurationConverter());
            return (mapping ? builder.withMapping(AgentConfig.class) : builder).build();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
