package com.proxyvault.agent.fingerprint;

import io.netty.util.concurrent.DefaultThreadFactory;
import com.proxyvault.agent.AgentConfig;
import com.proxyvault.agent.modems.Modems;
import com.proxyvault.agent.process.OsProcessRunner;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Builds the {@link FingerprintShaper} {@code AGENT_FINGERPRINT_SHAPING} asks for: {@code auto} (default:
 * nftables with the {@code modemmanager} driver, recording only with {@code simulated}), {@code nftables} or
 * {@code off}. With nftables the rules are reconciled at start (replacing an earlier process's table) and every
 * {@code AGENT_MM_POLL_INTERVAL}, so an interface renamed by a hard reset is followed.
 */
@ApplicationScoped
public class FingerprintShaperProducer {

    private static final Logger LOG = Logger.getLogger(FingerprintShaperProducer.class);

    static final String AUTO = "auto";
    static final String NFTABLES = "nftables";
    static final String OFF = "off";

    private ScheduledExecutorService timers;
    private ExecutorService nftThreads;

    @Produces
    @Singleton
    FingerprintShaper shaper(AgentConfig config, Modems modems) {
        String mode = config.fingerprint().shaping();
        boolean nftables = switch (mode) {
            case AUTO -> "modemmanager".equals(config.modemDriver());
            case NFTABLES -> true;
            case OFF -> false;
            default -> throw new IllegalArgumentException("AGENT_FINGERPRINT_SHAPING '" + mode + "' is not one of "
                    + AUTO + ", " + NFTABLES + ", " + OFF);
        };
        if (!nftables) {
            LOG.infof("OS fingerprints are recorded, not shaped (AGENT_FINGERPRINT_SHAPING=%s, driver %s)", mode,
                    config.modemDriver());
            return FingerprintShaper.recordingOnly();
        }
        nftThreads = Executors.newCachedThreadPool(new DefaultThreadFactory("nft", true));
        timers = Executors.newSingleThreadScheduledExecutor(new DefaultThreadFactory("fingerprint-rules", true));
        FingerprintShaper shaper = FingerprintShaper.nftables(new OsProcessRunner(nftThreads), config.fingerprint().nft(),
                config.fingerprint().nftTimeout(), modems, FingerprintShaper.hostReceiveBufferLimit());
        long every = config.modemmanager().pollInterval().toMillis();
        timers.scheduleWithFixedDelay(() -> shaper.reconcile().toCompletableFuture().join(), 0, every, TimeUnit.MILLISECONDS);
        LOG.infof("OS fingerprints are shaped with nftables (%s -f -, table %s)", config.fingerprint().nft(), NftRuleset.TABLE);
        return shaper;
    }

    @PreDestroy
    void stop() {
        if (timers != null) {
            timers.shutdownNow();
        }
        if (nftThreads != null) {
            nftThreads.shutdownNow();
        }
    }
}
