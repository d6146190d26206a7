package com.proxyvault.agent.link;

import com.proxyvault.agent.AgentConfig;
import com.proxyvault.agent.fingerprint.FingerprintException;
import com.proxyvault.agent.fingerprint.FingerprintShaper;
import com.proxyvault.agent.fingerprint.OsFingerprint;
import com.proxyvault.agent.modems.ModemDriver;
import com.proxyvault.agent.modems.ModemException;
import com.proxyvault.agent.modems.Modems;
import com.proxyvault.agent.modems.ResetMode;
import com.proxyvault.agent.proxy.ProxyAssignment;
import com.proxyvault.agent.proxy.ProxyCredentials;
import com.proxyvault.agent.proxy.ProxyException;
import com.proxyvault.agent.proxy.ProxyListener;
import com.proxyvault.agent.proxy.ProxyListeners;
import com.proxyvault.contracts.agent.v1.CommandResult;
import com.proxyvault.contracts.agent.v1.FleetMessage;
import com.proxyvault.contracts.agent.v1.ProvisionProxy;
import com.proxyvault.contracts.agent.v1.ReleaseProxy;
import com.proxyvault.contracts.agent.v1.ResetIp;
import com.proxyvault.contracts.agent.v1.SetFingerprint;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.CompletionException;

/**
 * Carries out the fleet's commands and says how each went. Never fails: whatever goes wrong
 * becomes {@code CommandResult{ok=false, error}} so the fleet can act on it (refund, pick another
 * port), and the link stays up. A ResetIp whose modem driver was called and failed also says
 * {@code attempted=true}: the modem may have been reset, and the fleet keeps its cooldown
 * (docs/fleet.md "Cooldown given back"); every other {@code ok=false} means nothing was done.
 */
@Singleton
public class CommandHandler {

    private static final Logger LOG = Logger.getLogger(CommandHandler.class);

    private final AgentConfig config;
    private final Modems modems;
    private final ProxyListeners listeners;
    private final FingerprintShaper fingerprints;
    private final Clock clock;

    public CommandHandler(AgentConfig config, Modems modems, ProxyListeners listeners, FingerprintShaper fingerprints,
                          Clock clock) {
        this.config = config;
        this.modems = modems;
        this.listeners = listeners;
        this.fingerprints = fingerprints;
        this.clock = clock;
    }

    /** When this agent's clock says it is now, in ms since the epoch: the arrival time {@link #handle} takes. */
    long nowMillis() {
        return clock.millis();
    }

    /**
     * Carries out {@code command}, which arrived (and was acked) at {@code receivedAtMillis} ({@link #nowMillis}).
     * A command with {@code timeout_ms} that has waited longer than that before being started is answered
     * {@code ok=false} "expired" without being carried out: the fleet stopped waiting for it and kept its own
     * state as it was, so doing it now would leave the agent serving something the fleet does not know about.
     */
    Uni<CommandResult> handle(FleetMessage command, long receivedAtMillis) {
        String commandId = command.getCommandId();
        long waited = clock.millis() - receivedAtMillis;
        if (command.getTimeoutMs() > 0 && waited > command.getTimeoutMs()) {
            LOG.warnf("Command %s (%s) expired before it was started: it waited %d ms, the fleet waits %d ms", commandId,
                    command.getCommandCase(), waited, command.getTimeoutMs());
            return failed(commandId, "expired before it was started: waited " + waited + " ms in the agent's queue, the fleet"
                    + " waits " + command.getTimeoutMs() + " ms");
        }
        Uni<CommandResult> result = switch (command.getCommandCase()) {
            case PROVISION_PROXY -> provision(commandId, command.getProvisionProxy());
            case RELEASE_PROXY -> release(commandId, command.getReleaseProxy());
            case RESET_IP -> resetIp(commandId, command.getResetIp());
            case SET_FINGERPRINT -> setFingerprint(commandId, command.getSetFingerprint());
            default -> failed(commandId, "unsupported command " + command.getCommandCase());
        };
        // Failures the commands did not answer themselves are attempted=false. Only ResetIp answers its driver's failure
        // itself, as attempted (a modem possibly reset): that is what the fleet reads the field for, the modem's cooldown.
        // A failed provision or fingerprint change is rolled back (shaper and listener as they were), and a release's is
        // a local socket that did not close: no device action the fleet would count (agent.proto, CommandResult.attempted).
        return result
                .onFailure().recoverWithItem(failure -> failedResult(commandId, describe(failure), false))
                .invoke(outcome -> {
                    if (outcome.getOk()) {
                        LOG.debugf("Command %s (%s) done", commandId, command.getCommandCase());
                    } else {
                        LOG.warnf("Command %s (%s) failed%s: %s", commandId, command.getCommandCase(),
                                outcome.getAttempted() ? " after it was started" : "", outcome.getError());
                    }
                });
    }

    private Uni<CommandResult> provision(String commandId, ProvisionProxy provision) {
        int port = provision.getPort();
        AgentConfig.PortRange range = config.portRange();
        if (port < range.start() || port > range.end()) {
            return failed(commandId, "port " + port + " is outside this agent's range " + range.start() + "-" + range.end());
        }
        if (provision.getUsername().isEmpty() || provision.getPassword().isEmpty()) {
            return failed(commandId, "a proxy needs a username and a password");
        }
        Optional<ModemDriver> modem = modems.find(provision.getModemId());
        if (modem.isEmpty()) {
            return failed(commandId, "unknown modem '" + provision.getModemId() + "'");
        }
        ProxyAssignment assignment = new ProxyAssignment(provision.getProxyId(), port,
                new ProxyCredentials(provision.getUsername(), provision.getPassword()), modem.get());
        long proxyId = provision.getProxyId();
        // The fleet sends the stored fingerprint with every (re)opening; a fleet from before the field sends none,
        // and the listener keeps what it had (a new one: none).
        OsFingerprint fingerprint = provision.hasFingerprint() ? OsFingerprint.of(provision.getFingerprint())
                : listeners.find(proxyId).map(served -> OsFingerprint.named(served.fingerprint())).orElse(OsFingerprint.NONE);
        Optional<FingerprintShaper.Wanted> before = fingerprints.wanted(proxyId);
        // Shaped first: if the rules cannot be applied, no listener was opened or moved (the state is unchanged);
        // if the listener cannot be opened, the shaper is put back as it was.
        return Uni.createFrom().completionStage(() -> fingerprints.set(proxyId, modem.get().modemId(), fingerprint))
                .chain(() -> Uni.createFrom().completionStage(() -> listeners.open(assignment))
                        .onFailure().call(failure -> Uni.createFrom().completionStage(() -> fingerprints.restore(proxyId, before))
                                .onFailure().recoverWithNull()))
                .invoke(() -> listeners.find(proxyId).ifPresent(listener -> present(listener, fingerprint)))
                .replaceWith(() -> ok(commandId).build());
    }

    /** What the listener records and does itself for a fingerprint the shaper applied: its origin sockets' buffer. */
    private void present(ProxyListener listener, OsFingerprint fingerprint) {
        listener.recordFingerprint(fingerprint.name());
        listener.useOriginReceiveBuffer(fingerprints.originReceiveBufferBytes(fingerprint));
    }

    /**
     * Releasing a proxy we don't serve is ok: the fleet wants it gone, and it is. A release naming a port the
     * proxy is no longer served on is stale (the proxy moved to another port since, and its old listener
     * was closed then): it must not close the new listener, so it changes nothing.
     */
    private Uni<CommandResult> release(String commandId, ReleaseProxy release) {
        Optional<ProxyListener> served = listeners.find(release.getProxyId());
        if (served.isPresent() && release.getPort() != 0 && served.get().port() != release.getPort()) {
            LOG.infof("Ignoring stale ReleaseProxy %d for port %d: it is served on %d now",
                    release.getProxyId(), release.getPort(), served.get().port());
            return Uni.createFrom().item(ok(commandId).build());
        }
        return Uni.createFrom().completionStage(() -> listeners.release(release.getProxyId()))
                .invoke(() -> fingerprints.forget(release.getProxyId()).whenComplete((ok, failure) -> {
                    if (failure != null) {
                        LOG.warnf("Proxy %d released; its fingerprint rules stay until nft takes the next change: %s",
                                release.getProxyId(), describe(failure));
                    }
                }))
                .replaceWith(() -> ok(commandId).build());
    }

    /**
     * The modem is named directly, or found through the proxy it serves. Not found: refused, {@code attempted=false}
     * (nothing was asked of any modem). The driver's failure: {@code ok=false, attempted=true}.
     */
    private Uni<CommandResult> resetIp(String commandId, ResetIp reset) {
        Optional<ModemDriver> modem = reset.getModemId().isEmpty()
                ? listeners.find(reset.getProxyId()).map(ProxyListener::modem)
                : modems.find(reset.getModemId());
        if (modem.isEmpty()) {
            return failed(commandId, reset.getModemId().isEmpty()
                    ? "proxy " + reset.getProxyId() + " is not served by this agent"
                    : "unknown modem '" + reset.getModemId() + "'");
        }
        ResetMode mode = switch (reset.getMode()) {
            case RESET_MODE_HARD -> ResetMode.HARD;
            default -> ResetMode.FAST;
        };
        String before = modem.get().exitIp();
        return Uni.createFrom().completionStage(() -> modem.get().resetIp(mode))
                .map(exitIp -> {
                    LOG.infof("Modem %s: exit IP %s -> %s (%s reset)", modem.get().modemId(), before, exitIp, mode);
                    return ok(commandId).setExitIp(exitIp).build();
                })
                // A reset may bring the data session back on another interface (a hard reset re-enumerates the
                // modem): the fingerprint rules follow it. Never fails and is not waited for.
                .invoke(() -> fingerprints.reconcile())
                // The driver was asked and failed: the modem may have been disconnected or reset and not come back (a
                // hard reset re-enumerates it, "did not come back within 120 s"), so the fleet must count it as a reset
                // of the modem and keep its cooldown. Erring that way is safe: a driver failure before it touched the
                // modem (mmcli cannot find it) only makes the reseller wait one cooldown.
                .onFailure().recoverWithItem(failure -> failedResult(commandId, describe(failure), true));
    }

    private Uni<CommandResult> setFingerprint(String commandId, SetFingerprint set) {
        Optional<ProxyListener> listener = listeners.find(set.getProxyId());
        if (listener.isEmpty()) {
            return failed(commandId, "proxy " + set.getProxyId() + " is not served by this agent");
        }
        OsFingerprint fingerprint = OsFingerprint.of(set.getFingerprint());
        // Recorded on the listener only once the shaper has it in place: a failure leaves both as they were (nft
        // applies a ruleset in one transaction), so a failure here is never attempted=true: nothing was half done.
        // (ProvisionProxy likewise puts the shaper back when its listener cannot be opened.)
        return Uni.createFrom().completionStage(() -> fingerprints.set(set.getProxyId(), listener.get().modem().modemId(), fingerprint))
                .invoke(() -> present(listener.get(), fingerprint))
                .replaceWith(() -> ok(commandId).build());
    }

    private static CommandResult.Builder ok(String commandId) {
        return CommandResult.newBuilder().setCommandId(commandId).setOk(true);
    }

    /** A refusal before anything was started: {@code ok=false}, not attempted. */
    private static Uni<CommandResult> failed(String commandId, String error) {
        return Uni.createFrom().item(failedResult(commandId, error, false));
    }

    /**
     * {@code ok=false} with {@code error}; {@code attempted}: the action was started on the device and may be partly or
     * wholly done (agent.proto, CommandResult.attempted).
     */
    private static CommandResult failedResult(String commandId, String error, boolean attempted) {
        return CommandResult.newBuilder().setCommandId(commandId).setOk(false).setError(error).setAttempted(attempted).build();
    }

    private static String describe(Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        if (cause instanceof ProxyException || cause instanceof ModemException || cause instanceof FingerprintException) {
            return cause.getMessage();
        }
        LOG.error("Unexpected failure carrying out a command", cause);
        return cause.getClass().getSimpleName() + ": " + cause.getMessage();
    }
}
