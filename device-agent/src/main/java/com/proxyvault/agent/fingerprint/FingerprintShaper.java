package com.proxyvault.agent.fingerprint;

import com.proxyvault.agent.modems.ModemDriver;
import com.proxyvault.agent.modems.Modems;
import com.proxyvault.agent.process.ProcessFailedException;
import com.proxyvault.agent.process.ProcessRunner;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * Makes each modem's traffic present the OS fingerprint its proxies ask for (issue 8 item 5; docs/fleet.md "OS
 * fingerprints"). It keeps which proxy, on which modem, wants which {@link OsFingerprint}; a modem presents the
 * one of its proxies (proxies asking for {@code NONE} follow the others). With shaping on
 * ({@code AGENT_FINGERPRINT_SHAPING}, by default with the {@code modemmanager} driver), every change renders the
 * whole {@link NftRuleset} from the modems' current interfaces and applies it with {@code nft -f -} through the
 * {@link ProcessRunner}, in one nftables transaction; with it off (the simulated driver) it only records.
 *
 * <p>Rules:
 * <ul>
 *   <li>{@link #set} succeeds only once the rules are in place (or nothing needed to change); it fails with
 *       {@link FingerprintException} and changes nothing when {@code nft} is missing or exits non-zero, or when
 *       another proxy of the same modem presents a different system (one modem, one TTL);</li>
 *   <li>a modem with no known interface (offline, between resets) has no rules yet; {@link #reconcile}, run after
 *       every reset and every modem poll, renders again and applies what changed (an interface renamed by a hard
 *       reset included), and its first run replaces whatever an earlier agent process left;</li>
 *   <li>{@link #forget} (a released proxy) always drops the proxy; its rules go with the next successful apply.</li>
 * </ul>
 * Changes run one at a time, in the order asked. <b>Untested on modem hardware</b>: the commands are checked against
 * the expected nft input only.
 */
public final class FingerprintShaper {

    private static final Logger LOG = Logger.getLogger(FingerprintShaper.class);

    /** What one proxy wants, on which modem. */
    public record Wanted(String modemId, OsFingerprint fingerprint) {
    }

    private final boolean shaping;
    private final ProcessRunner runner;
    private final List<String> nftCommand;
    private final Duration timeout;
    private final Modems modems;
    /** {@code net.core.rmem_max}: SO_RCVBUF is capped there, and a capped buffer gives a smaller window scale than none. */
    private final long receiveBufferLimit;
    private volatile boolean warnedAboutReceiveBufferLimit;

    private final Map<Long, Wanted> byProxy = new HashMap<>();
    /** The text nft last accepted; null until the first apply (then the host may hold an earlier run's table). */
    private String applied;
    private String lastReconcileFailure;
    private CompletableFuture<Void> tail = CompletableFuture.completedFuture(null);

    private FingerprintShaper(boolean shaping, ProcessRunner runner, String nft, Duration timeout, Modems modems,
                              long receiveBufferLimit) {
        this.receiveBufferLimit = receiveBufferLimit;
        this.shaping = shaping;
        this.runner = runner;
        this.nftCommand = nft == null ? List.of() : List.of(nft, "-f", "-");
        this.timeout = timeout;
        this.modems = modems;
    }

    /**
     * A shaper that writes nftables rules.
     *
     * @param nft     the executable ({@code nft} or a path to it), run as {@code nft -f -} with the ruleset on stdin
     * @param timeout longest one nft run may take
     * @param modems  for each modem's interface ({@link ModemDriver#interfaceName()}), read at every render
     * @param receiveBufferLimit the host's {@code net.core.rmem_max} in bytes ({@link #hostReceiveBufferLimit()})
     */
    public static FingerprintShaper nftables(ProcessRunner runner, String nft, Duration timeout, Modems modems,
                                             long receiveBufferLimit) {
        return new FingerprintShaper(true, Objects.requireNonNull(runner), Objects.requireNonNull(nft), timeout, modems,
                receiveBufferLimit);
    }

    /** A shaper that only records what each proxy asked for (simulated modems, or shaping switched off). */
    public static FingerprintShaper recordingOnly() {
        return new FingerprintShaper(false, null, null, Duration.ZERO, new Modems(List.of()), 0);
    }

    /** {@code /proc/sys/net/core/rmem_max}, or 0 when it cannot be read (not Linux): then no SO_RCVBUF is set. */
    public static long hostReceiveBufferLimit() {
        // Read as a stream: Files.readString trusts procfs's file size and returned "4" for 4194304 on kernel 6.18.
        try (java.io.BufferedReader reader = java.nio.file.Files.newBufferedReader(java.nio.file.Path.of("/proc/sys/net/core/rmem_max"))) {
            String line = reader.readLine();
            return line == null ? 0 : Long.parseLong(line.trim());
        } catch (java.io.IOException | NumberFormatException | SecurityException e) {
            return 0;
        }
    }

    /**
     * The {@code SO_RCVBUF} origin sockets of a proxy presenting {@code fingerprint} get, in bytes; 0 = the kernel's
     * default. 0 as well when not shaping, or when the host's {@code net.core.rmem_max} is below the buffer: the
     * kernel would cap it, and a capped buffer (208 KiB by default) announces window scale 2, further from every
     * system than the default's 7 (logged once; docs/fleet.md says which sysctl to raise).
     */
    public int originReceiveBufferBytes(OsFingerprint fingerprint) {
        int bytes = fingerprint.originReceiveBufferBytes();
        if (!shaping || bytes == 0) {
            return 0;
        }
        if (bytes > receiveBufferLimit) {
            if (!warnedAboutReceiveBufferLimit) {
                warnedAboutReceiveBufferLimit = true;
                LOG.warnf("net.core.rmem_max is %d bytes, below the %d the %s window scale needs: origin sockets keep the"
                        + " kernel's buffer (raise it: sysctl -w net.core.rmem_max=16777216)", receiveBufferLimit, bytes, fingerprint);
            }
            return 0;
        }
        return bytes;
    }

    /** Whether this shaper changes the host (nftables rules, origin socket buffers) rather than only recording. */
    public boolean shapes() {
        return shaping;
    }

    /** What {@code proxyId} asked for, if it asked. */
    public synchronized Optional<Wanted> wanted(long proxyId) {
        return Optional.ofNullable(byProxy.get(proxyId));
    }

    /**
     * Proxy {@code proxyId}, served through modem {@code modemId}, presents {@code fingerprint} from now on.
     * Completes once that holds on the host; fails with {@link FingerprintException}, nothing changed, otherwise.
     */
    public CompletionStage<Void> set(long proxyId, String modemId, OsFingerprint fingerprint) {
        return serially(() -> {
            Map<Long, Wanted> next = snapshot();
            next.put(proxyId, new Wanted(modemId, fingerprint));
            if (shaping) {
                conflict(next, proxyId, modemId, fingerprint).ifPresent(message -> {
                    throw new FingerprintException(message);
                });
            }
            return applyAndCommit(next);
        });
    }

    /** Puts back what {@link #wanted} said before a change the caller could not complete (empty: nothing). */
    public CompletionStage<Void> restore(long proxyId, Optional<Wanted> before) {
        return before.map(was -> set(proxyId, was.modemId(), was.fingerprint())).orElseGet(() -> forget(proxyId));
    }

    /** The proxy is gone: it no longer counts; its rules are removed now if nft takes it, else at the next reconcile. */
    public CompletionStage<Void> forget(long proxyId) {
        return serially(() -> {
            Map<Long, Wanted> next = snapshot();
            next.remove(proxyId);
            synchronized (this) {
                byProxy.clear();
                byProxy.putAll(next); // dropped whatever nft says: the proxy is not served any more
            }
            return applyIfChanged(render(next));
        });
    }

    /**
     * Renders again from the modems' current interfaces and applies the text if it is not what nft last took (the
     * first call always applies, clearing an earlier process's table). Never fails; a failure is logged once per
     * distinct error and tried again on the next call.
     */
    public CompletionStage<Void> reconcile() {
        if (!shaping) {
            return CompletableFuture.completedFuture(null);
        }
        return serially(() -> applyIfChanged(render(snapshot()))
                .whenComplete((ok, failure) -> {
                    String message = failure == null ? null : rootMessage(failure);
                    if (message != null && !message.equals(lastReconcileFailure)) {
                        LOG.warnf("Could not apply the fingerprint rules: %s", message);
                    }
                    lastReconcileFailure = message;
                }))
                .exceptionally(failure -> null);
    }

    /** Another proxy of the modem presents a different system: the refusal, in words. */
    private static Optional<String> conflict(Map<Long, Wanted> wanted, long proxyId, String modemId, OsFingerprint fingerprint) {
        if (fingerprint == OsFingerprint.NONE) {
            return Optional.empty();
        }
        return wanted.entrySet().stream()
                .filter(e -> e.getKey() != proxyId && e.getValue().modemId().equals(modemId)
                        && e.getValue().fingerprint() != OsFingerprint.NONE && e.getValue().fingerprint() != fingerprint)
                .findFirst()
                .map(other -> "modem " + modemId + " already presents " + other.getValue().fingerprint().name().toLowerCase()
                        + " for proxy " + other.getKey() + ": all traffic of one modem leaves with one TTL, so its proxies"
                        + " cannot present different systems");
    }

    /** Applies {@code next} if its rules differ from those of the state now, then makes it the state. */
    private CompletionStage<Void> applyAndCommit(Map<Long, Wanted> next) {
        if (!shaping) {
            commit(next);
            return CompletableFuture.completedFuture(null);
        }
        String now = render(snapshot());
        String wanted = render(next);
        CompletionStage<Void> applying = wanted.equals(now) ? CompletableFuture.completedFuture(null) : apply(wanted);
        return applying.thenRun(() -> commit(next));
    }

    private CompletionStage<Void> applyIfChanged(String text) {
        if (!shaping || text.equals(appliedText())) {
            return CompletableFuture.completedFuture(null);
        }
        return apply(text);
    }

    /** One {@code nft -f -} with {@code text}; remembers it on success. */
    private CompletionStage<Void> apply(String text) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        runner.run(nftCommand, text, timeout).whenComplete((output, failure) -> {
            if (failure == null) {
                synchronized (this) {
                    applied = text;
                }
                LOG.infof("Fingerprint rules applied (table %s)", NftRuleset.TABLE);
                done.complete(null);
            } else {
                String message = rootMessage(failure);
                done.completeExceptionally(new FingerprintException("cannot apply the fingerprint rules: " + message, failure));
            }
        });
        return done;
    }

    /** The ruleset for {@code wanted}: per modem, the fingerprint of its proxies, on the modem's interface now. */
    private String render(Map<Long, Wanted> wanted) {
        Map<String, OsFingerprint> byModem = new LinkedHashMap<>();
        wanted.values().stream().filter(w -> w.fingerprint() != OsFingerprint.NONE)
                .forEach(w -> byModem.putIfAbsent(w.modemId(), w.fingerprint()));
        List<NftRuleset.ModemRule> rules = new ArrayList<>();
        for (ModemDriver modem : modems.all()) { // configuration order: a stable text
            OsFingerprint fingerprint = byModem.get(modem.modemId());
            if (fingerprint == null) {
                continue;
            }
            Optional<String> interfaceName = modem.interfaceName();
            if (interfaceName.isEmpty()) {
                LOG.debugf("Modem %s has no interface yet: its %s rules wait for it", modem.modemId(), fingerprint);
            } else if (!NftRuleset.isInterfaceName(interfaceName.get())) {
                LOG.warnf("Modem %s reports interface '%s', not a name nft rules can use: not shaped", modem.modemId(),
                        interfaceName.get());
            } else {
                rules.add(new NftRuleset.ModemRule(modem.modemId(), interfaceName.get(), fingerprint));
            }
        }
        return NftRuleset.render(rules);
    }

    private synchronized Map<Long, Wanted> snapshot() {
        return new HashMap<>(byProxy);
    }

    private synchronized void commit(Map<Long, Wanted> next) {
        byProxy.clear();
        byProxy.putAll(next);
    }

    private synchronized String appliedText() {
        return applied;
    }

    /** Runs {@code change} after every change asked before it has finished (whatever its outcome). */
    private synchronized CompletionStage<Void> serially(Supplier<CompletionStage<Void>> change) {
        CompletableFuture<Void> next = tail.handle((ignored, failure) -> null)
                .thenCompose(ignored -> {
                    try {
                        return change.get();
                    } catch (RuntimeException e) {
                        return CompletableFuture.failedFuture(e);
                    }
                });
        tail = next;
        return next;
    }

    private static String rootMessage(Throwable failure) {
        Throwable cause = failure;
        while (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof FingerprintException || cause instanceof ProcessFailedException) {
            return cause.getMessage();
        }
        return cause.toString();
    }
}
