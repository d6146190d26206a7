package com.proxyvault.agent.link;

import com.proxyvault.agent.AgentConfig;
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
 * port), and the link stays up.
 */
@Singleton
public class CommandHandler {

    private static final Logger LOG = Logger.getLogger(CommandHandler.class);

    private final AgentConfig config;
    private final Modems modems;
    private final ProxyListeners listeners;
    private final Clock clock;

    public CommandHandler(AgentConfig config, Modems modems, ProxyListeners listeners, Clock clock) {
        this.config = config;
        this.modems = modems;
        this.listeners = listeners;
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
        return result
                .onFailure().recoverWithItem(failure -> failedResult(commandId, describe(failure)))
                .invoke(outcome -> {
                    if (outcome.getOk()) {
                        LOG.debugf("Command %s (%s) done", commandId, command.getCommandCase());
                    } else {
                        LOG.warnf("Command %s (%s) failed: %s", commandId, command.getCommandCase(), outcome.getError());
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
        return Uni.createFrom().completionStage(() -> listeners.open(assignment))
                .replaceWith(() -> ok(commandId).build());
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
                .replaceWith(() -> ok(commandId).build());
    }

    /** The modem is named directly, or found through the proxy it serves. */
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
                });
    }

    private Uni<CommandResult> setFingerprint(String commandId, SetFingerprint set) {
        Optional<ProxyListener> listener = listeners.find(set.getProxyId());
        if (listener.isEmpty()) {
            return failed(commandId, "proxy " + set.getProxyId() + " is not served by this agent");
        }
        String fingerprint = set.getFingerprint().name().replaceFirst("^FINGERPRINT_", "");
        listener.get().recordFingerprint(fingerprint);
        return Uni.createFrom().item(ok(commandId).build());
    }

    private static CommandResult.Builder ok(String commandId) {
        return CommandResult.newBuilder().setCommandId(commandId).setOk(true);
    }

    private static Uni<CommandResult> failed(String commandId, String error) {
        return Uni.createFrom().item(failedResult(commandId, error));
    }

    private static CommandResult failedResult(String commandId, String error) {
        return CommandResult.newBuilder().setCommandId(commandId).setOk(false).setError(error).build();
    }

    private static String describe(Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        if (cause instanceof ProxyException || cause instanceof ModemException) {
            return cause.getMessage();
        }
        LOG.error("Unexpected failure carrying out a command", cause);
        return cause.getClass().getSimpleName() + ": " + cause.getMessage();
    }
}
