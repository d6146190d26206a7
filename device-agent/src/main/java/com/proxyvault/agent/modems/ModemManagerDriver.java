package com.proxyvault.agent.modems;

import org.jboss.logging.Logger;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A USB 4G/5G modem driven through ModemManager's {@code mmcli} (ModemManager 1.x, mmcli(1)), with these
 * documented commands only, always with {@code -K} ({@code --output-keyvalue}, the stable machine format):
 *
 * <ul>
 *   <li>find the modem: {@code mmcli -L -K} lists {@code modem-list.value[n]} D-Bus paths; {@code mmcli -m <path> -K}
 *       gives {@code modem.generic.equipment-identifier}, which is matched against the configured one (the
 *       index in the path changes when the modem re-enumerates, e.g. after {@code --reset});</li>
 *   <li>state: {@code modem.generic.state} ({@code connected} = online) and the data bearer of
 *       {@code modem.generic.bearers.value[n]}: {@code mmcli -b <path> -K} gives {@code bearer.status.connected},
 *       {@code bearer.status.interface} (e.g. wwan0) and {@code bearer.ipv4-config.address};</li>
 *   <li>FAST reset: {@code mmcli -m <path> --simple-disconnect}, then {@code --simple-connect=apn=<apn>}
 *       (a new data session; carriers usually assign a new address);</li>
 *   <li>HARD reset: {@code mmcli -m <path> --reset} (the modem reboots and disappears), wait until a modem
 *       with the same equipment identifier is listed again, then {@code --simple-connect=apn=<apn>}.</li>
 * </ul>
 *
 * <p>The exit IP reported is the bearer's IPv4 address. Behind carrier-grade NAT the public address differs
 * from it; docs/fleet.md says how to check that on a real host. Egress binds to the bearer address (the
 * host needs a source-routing rule per modem, docs/fleet.md). <b>Tested against recorded mmcli outputs
 * only, not on modem hardware.</b>
 */
public final class ModemManagerDriver implements ModemDriver {

    private static final Logger LOG = Logger.getLogger(ModemManagerDriver.class);

    private final ModemSpec spec;
    private final Mmcli mmcli;
    private final ModemManagerSettings settings;
    private final ScheduledExecutorService timers;

    private volatile String modemPath;
    private volatile boolean online;
    private volatile String exitIp = "";
    private volatile Optional<String> interfaceName = Optional.empty();
    private volatile Optional<InetAddress> bearerAddress = Optional.empty();
    private CompletableFuture<String> resetInFlight;

    /**
     * @param spec   id, location and 5G flag; {@code driverKey} is the modem's equipment identifier (IMEI)
     * @param timers for the waits of a HARD reset (nothing blocks on them)
     */
    public ModemManagerDriver(ModemSpec spec, Mmcli mmcli, ModemManagerSettings settings, ScheduledExecutorService timers) {
        this.spec = spec;
        this.mmcli = mmcli;
        this.settings = settings;
        this.timers = timers;
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
    public Optional<InetAddress> egressBindAddress() {
        return bearerAddress;
    }

    @Override
    public Optional<String> interfaceName() {
        return interfaceName;
    }

    /** Re-reads state; a modem that can't be found or read is reported offline, never an exception. */
    @Override
    public CompletionStage<Void> refresh() {
        return readState().exceptionally(failure -> {
            LOG.warnf("Modem %s (%s): %s", spec.modemId(), spec.driverKey(), rootMessage(failure));
            markOffline();
            return null;
        });
    }

    @Override
    public synchronized CompletionStage<String> resetIp(ResetMode mode) {
        if (resetInFlight != null) {
            return resetInFlight.minimalCompletionStage();
        }
        online = false;
        CompletableFuture<String> reset = (mode == ResetMode.HARD ? hardReset() : fastReset())
                .thenCompose(ignored -> readState())
                .thenApply(ignored -> {
                    if (!online) {
                        throw new ModemException("modem " + spec.modemId() + " is not connected after a " + mode + " reset");
                    }
                    return exitIp;
                })
                .toCompletableFuture();
        resetInFlight = reset;
        reset.whenComplete((ip, failure) -> {
            synchronized (this) {
                resetInFlight = null;
            }
            if (failure != null) {
                refresh();
            }
        });
        return reset.minimalCompletionStage();
    }

    private CompletionStage<Void> fastReset() {
        return path()
                .thenCompose(path -> mmcli.run(List.of("-m", path, "--simple-disconnect"))
                        .thenCompose(ignored -> connect(path)));
    }

    private CompletionStage<Void> hardReset() {
        return path()
                .thenCompose(path -> mmcli.run(List.of("-m", path, "--reset")))
                .thenCompose(ignored -> {
                    modemPath = null; // it re-enumerates under a new index
                    long attempts = Math.max(1, settings.hardResetTimeout().toMillis() / Math.max(1, settings.rescanInterval().toMillis()));
                    return waitForModem(attempts);
                })
                .thenCompose(this::connect);
    }

    private CompletionStage<Void> connect(String path) {
        return mmcli.run(List.of("-m", path, "--simple-connect=apn=" + settings.apn())).thenApply(ignored -> null);
    }

    /** Looks for the modem every rescan interval until it is listed again, at most {@code attemptsLeft} times. */
    private CompletionStage<String> waitForModem(long attemptsLeft) {
        CompletableFuture<String> found = new CompletableFuture<>();
        timers.schedule(() -> findModem().whenComplete((path, failure) -> {
            if (path != null && path.isPresent()) {
                found.complete(path.get());
            } else if (attemptsLeft <= 1) {
                found.completeExceptionally(new ModemException("modem " + spec.modemId() + " (" + spec.driverKey()
                        + ") did not come back within " + settings.hardResetTimeout().toSeconds() + " s of --reset"));
            } else {
                waitForModem(attemptsLeft - 1).whenComplete((later, laterFailure) -> {
                    if (laterFailure != null) {
                        found.completeExceptionally(laterFailure);
                    } else {
                        found.complete(later);
                    }
                });
            }
        }), settings.rescanInterval().toMillis(), TimeUnit.MILLISECONDS);
        return found;
    }

    /** The modem's D-Bus path: the one known, if it still has our equipment identifier, else a new search. */
    private CompletionStage<String> path() {
        return findModem().thenApply(path -> path.orElseThrow(() -> new ModemException(
                "modem " + spec.modemId() + " (equipment id " + spec.driverKey() + ") is not listed by mmcli -L")));
    }

    private CompletionStage<Optional<String>> findModem() {
        return mmcli.run(List.of("-L", "-K")).thenCompose(listing -> {
            List<String> paths = Mmcli.listValues(Mmcli.keyValues(listing), "modem-list");
            String known = modemPath;
            if (known != null && paths.remove(known)) {
                paths.add(0, known); // try the one we know first
            }
            return firstMatching(paths, 0);
        });
    }

    private CompletionStage<Optional<String>> firstMatching(List<String> paths, int index) {
        if (index >= paths.size()) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        String path = paths.get(index);
        return mmcli.run(List.of("-m", path, "-K")).thenCompose(output -> {
            if (spec.driverKey().equals(Mmcli.keyValues(output).get("modem.generic.equipment-identifier"))) {
                modemPath = path;
                return CompletableFuture.completedFuture(Optional.of(path));
            }
            return firstMatching(paths, index + 1);
        });
    }

    private CompletionStage<Void> readState() {
        return path()
                .thenCompose(path -> mmcli.run(List.of("-m", path, "-K")))
                .thenCompose(modemOutput -> {
                    Map<String, String> modem = Mmcli.keyValues(modemOutput);
                    boolean connected = "connected".equals(modem.getOrDefault("modem.generic.state", "").toLowerCase(Locale.ROOT));
                    List<String> bearers = Mmcli.listValues(modem, "modem.generic.bearers");
                    if (!connected || bearers.isEmpty()) {
                        markOffline();
                        return CompletableFuture.<Void>completedFuture(null);
                    }
                    return connectedBearer(bearers, 0).thenAccept(bearer -> {
                        if (bearer.isEmpty()) {
                            markOffline();
                            return;
                        }
                        Map<String, String> values = bearer.get();
                        String address = values.getOrDefault("bearer.ipv4-config.address", "");
                        interfaceName = Optional.ofNullable(values.get("bearer.status.interface"));
                        bearerAddress = parseAddress(address);
                        exitIp = address;
                        online = bearerAddress.isPresent();
                    });
                });
    }

    /** The first bearer that says it is connected (the modem may also list its initial attach bearer, unconnected). */
    private CompletionStage<Optional<Map<String, String>>> connectedBearer(List<String> bearers, int index) {
        if (index >= bearers.size()) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        return mmcli.run(List.of("-b", bearers.get(index), "-K")).thenCompose(output -> {
            Map<String, String> values = Mmcli.keyValues(output);
            if ("yes".equals(values.get("bearer.status.connected"))) {
                return CompletableFuture.completedFuture(Optional.of(values));
            }
            return connectedBearer(bearers, index + 1);
        });
    }

    private void markOffline() {
        online = false;
        bearerAddress = Optional.empty();
        interfaceName = Optional.empty();
    }

    private static Optional<InetAddress> parseAddress(String address) {
        if (address.isEmpty() || !address.matches("[0-9.]+|[0-9a-fA-F:]+")) {
            return Optional.empty();
        }
        try {
            return Optional.of(InetAddress.getByName(address)); // a literal: no lookup
        } catch (UnknownHostException e) {
            return Optional.empty();
        }
    }

    private static String rootMessage(Throwable failure) {
        Throwable cause = failure;
        while (cause.getCause() != null && !(cause instanceof ModemException)) {
            cause = cause.getCause();
        }
        return cause.getMessage();
    }

    @Override
    public String toString() {
        return "ModemManager modem " + spec.modemId() + " (" + spec.locationId() + ", equipment id " + spec.driverKey()
                + ", exit " + (exitIp.isEmpty() ? "unknown" : exitIp) + interfaceName.map(name -> " on " + name).orElse("") + ")";
    }
}
