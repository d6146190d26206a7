package com.proxyvault.agent.modems;

import java.net.InetAddress;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A modem that isn't there: traffic egresses from the host directly and the "exit IP" is an
 * address from the 203.0.113.0/24 documentation range (RFC 5737), so a simulated IP can never be
 * mistaken for a real one. The only simulated part of ProxyVault.
 */
public final class SimulatedModemDriver implements ModemDriver {

    static final String DOCUMENTATION_PREFIX = "203.0.113.";

    private final ModemSpec spec;
    private volatile String exitIp;

    public SimulatedModemDriver(ModemSpec spec) {
        this.spec = spec;
        this.exitIp = spec.initialExitIp();
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
        return true;
    }

    @Override
    public String exitIp() {
        return exitIp;
    }

    /** Both modes behave alike here: a new address, always different from the current one. */
    @Override
    public synchronized CompletionStage<String> resetIp(ResetMode mode) {
        String next;
        do {
            next = DOCUMENTATION_PREFIX + ThreadLocalRandom.current().nextInt(1, 255);
        } while (next.equals(exitIp));
        exitIp = next;
        return CompletableFuture.completedFuture(next);
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
