package com.proxyvault.agent.modems;

import io.netty.util.concurrent.DefaultThreadFactory;
import com.proxyvault.agent.AgentConfig;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Builds the modem drivers from AGENT_MODEMS with the driver AGENT_MODEM_DRIVER names:
 * {@code simulated} (default) or {@code modemmanager}. Real modems are read once before the agent
 * says Hello (so the fleet learns their actual exit IPs) and then every poll interval.
 */
@ApplicationScoped
public class ModemsProducer {

    private static final Logger LOG = Logger.getLogger(ModemsProducer.class);

    static final String SIMULATED = "simulated";
    static final String MODEM_MANAGER = "modemmanager";

    private ScheduledExecutorService timers;
    private ExecutorService mmcliThreads;

    @Produces
    @Singleton
    Modems modems(AgentConfig config) {
        List<ModemSpec> specs = ModemSpec.parseList(config.modems());
        if (specs.isEmpty()) {
            throw new IllegalStateException("AGENT_MODEMS lists no modems: the agent would have nothing to serve");
        }
        List<? extends ModemDriver> drivers = switch (config.modemDriver()) {
            case SIMULATED -> simulated(specs, config.simulated());
            case MODEM_MANAGER -> modemManager(specs, config.modemmanager());
            default -> throw new IllegalArgumentException("AGENT_MODEM_DRIVER '" + config.modemDriver()
                    + "' is not one of " + SIMULATED + ", " + MODEM_MANAGER);
        };
        drivers.forEach(driver -> LOG.infof("Driving %s", driver));
        return new Modems(drivers);
    }

    private static List<SimulatedModemDriver> simulated(List<ModemSpec> specs, AgentConfig.Simulated config) {
        SimulatedModemSettings settings = new SimulatedModemSettings(config.fastResetDelay(), config.hardResetDelay(),
                config.failureRate(), config.silentFailureRate(),
                config.resetScript().orElse(List.of()).stream().map(SimulatedModemSettings.Outcome::parse).toList());
        SecureRandom random = new SecureRandom();
        return specs.stream().map(spec -> new SimulatedModemDriver(spec, settings, random)).toList();
    }

    private List<ModemManagerDriver> modemManager(List<ModemSpec> specs, AgentConfig.ModemManager config) {
        timers = Executors.newSingleThreadScheduledExecutor(new DefaultThreadFactory("modem-timers", true));
        mmcliThreads = Executors.newCachedThreadPool(new DefaultThreadFactory("mmcli", true));
        Mmcli mmcli = new ProcessMmcli(config.mmcli(), config.commandTimeout(), mmcliThreads);
        ModemManagerSettings settings = new ModemManagerSettings(config.apn(), config.rescanInterval(), config.hardResetTimeout());
        List<ModemManagerDriver> drivers = specs.stream()
                .map(spec -> new ModemManagerDriver(spec, mmcli, settings, timers)).toList();
        refreshAll(drivers);
        long every = config.pollInterval().toMillis();
        timers.scheduleWithFixedDelay(() -> refreshAll(drivers), every, every, TimeUnit.MILLISECONDS);
        return drivers;
    }

    private static void refreshAll(List<ModemManagerDriver> drivers) {
        CompletableFuture.allOf(drivers.stream().map(driver -> driver.refresh().toCompletableFuture())
                .toArray(CompletableFuture[]::new)).join();
    }

    @PreDestroy
    void stop() {
        if (timers != null) {
            timers.shutdownNow();
        }
        if (mmcliThreads != null) {
            mmcliThreads.shutdownNow();
        }
    }
}
