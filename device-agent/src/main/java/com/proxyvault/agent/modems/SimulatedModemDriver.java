package com.proxyvault.agent.modems;

import java.net.InetAddress;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;

/**
 * A modem that isn't there: traffic egresses from the host directly and the "exit IP" is an address
 * from the 203.0.113.0/24 documentation range (RFC 5737 section 3), so a simulated IP can never be
 * mistaken for a real one.
 *
 * <p>A reset behaves like a real one in the ways the fleet must cope with ({@link SimulatedModemSettings}):
 * it takes time (FAST ~1 s, HARD ~5 s by default) during which the modem is offline, and it can fail
 * outright ({@link ModemException}) or "succeed" silently with the same IP. Outcomes come from the
 * settings' script first, then from the failure rates.
 */
public final class SimulatedModemDriver implements ModemDriver {

    static final String DOCUMENTATION_PREFIX = "203.0.113.";

    private final ModemSpec spec;
    private final SimulatedModemSettings settings;
    private final RandomGenerator random;
    private volatile String exitIp;
    private volatile boolean online = true;
    private int resets;
    private CompletableFuture<String> inFlight;
    /** Completed unless {@link #holdResets()} is in force: a reset finishes only once this has completed. */
    private volatile CompletableFuture<Void> released = CompletableFuture.completedFuture(null);

    /** Instant, always successful resets. */
    public SimulatedModemDriver(ModemSpec spec) {
        this(spec, SimulatedModemSettings.INSTANT, ThreadLocalRandom.current());
    }

    /**
     * @param spec   id, location, 5G flag and the initial exit IP (the fourth field of AGENT_MODEMS)
     * @param random source of new addresses and failure draws; seeded in tests
     */
    public SimulatedModemDriver(ModemSpec spec, SimulatedModemSettings settings, RandomGenerator random) {
        this.spec = spec;
        this.settings = settings;
        this.random = random;
        this.exitIp = spec.driverKey();
    }

    @Override
    public String modemId() {
        return spec.modemId();
    }

    @Override
    public String locationId() {
        return spec.locationId();
    }

    @Override
    public boolean is5g() {
        return spec.is5g();
    }

    @Override
    public boolean online() {
        return online;
    }

    @Override
    public String exitIp() {
        return exitIp;
    }

    @Override
    public synchronized CompletionStage<String> resetIp(ResetMode mode) {
        if (inFlight != null) {
            return inFlight.minimalCompletionStage();
        }
        SimulatedModemSettings.Outcome outcome = nextOutcome();
        long delayMillis = (mode == ResetMode.HARD ? settings.hardResetDelay() : settings.fastResetDelay()).toMillis();
        CompletableFuture<String> reset = new CompletableFuture<>();
        inFlight = reset;
        online = false;
        Executor later = CompletableFuture.delayedExecutor(delayMillis, TimeUnit.MILLISECONDS);
        CompletableFuture<Void> gate = released;
        later.execute(() -> gate.thenRun(() -> finish(reset, mode, outcome)));
        return reset.minimalCompletionStage();
    }

    /**
     * Keeps every reset started from now on offline (no new exit IP, no answer) until
     * {@link #releaseResets()}: a modem that takes as long as a test needs, without a timing assumption
     * (e.g. that the agent acks a command before the modem is done, docs/fleet.md "Commands").
     */
    public synchronized void holdResets() {
        if (released.isDone()) {
            released = new CompletableFuture<>();
        }
    }

    /** Lets the held resets finish (each after its own delay has passed) and stops holding new ones. */
    public synchronized void releaseResets() {
        released.complete(null);
    }

    private void finish(CompletableFuture<String> reset, ResetMode mode, SimulatedModemSettings.Outcome outcome) {
        String result;
        synchronized (this) {
            if (outcome == SimulatedModemSettings.Outcome.OK) {
                exitIp = newAddress();
            }
            online = true;
            inFlight = null;
            result = exitIp;
        }
        if (outcome == SimulatedModemSettings.Outcome.FAIL) {
            reset.completeExceptionally(new ModemException("modem " + spec.modemId() + " did not come back after a "
                    + mode + " reset (simulated failure); exit IP still " + result));
        } else {
            reset.complete(result);
        }
    }

    private SimulatedModemSettings.Outcome nextOutcome() {
        int index = resets++;
        if (index < settings.script().size()) {
            return settings.script().get(index);
        }
        double draw = random.nextDouble();
        if (draw < settings.failureRate()) {
            return SimulatedModemSettings.Outcome.FAIL;
        }
        if (draw < settings.failureRate() + settings.silentFailureRate()) {
            return SimulatedModemSettings.Outcome.SILENT;
        }
        return SimulatedModemSettings.Outcome.OK;
    }

    /** A different address of 203.0.113.1-254. */
    private String newAddress() {
        String next;
        do {
            next = DOCUMENTATION_PREFIX + random.nextInt(1, 255);
        } while (next.equals(exitIp));
        return next;
    }

    @Override
    public Optional<InetAddress> egressBindAddress() {
        return Optional.empty();
    }

    @Override
    public String toString() {
        return "simulated modem " + spec.modemId() + " (" + spec.locationId() + ", exit " + exitIp + ")";
    }
}
