package com.proxyvault.fleet.agents;

import com.proxyvault.contracts.agent.v1.FleetMessage;
import com.proxyvault.contracts.agent.v1.ResetMode;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;

/**
 * How long the fleet waits on an agent (issue 8 item 1, docs/fleet.md "Commands: id, ack, timeout"):
 * {@code proxyvault.fleet.commands.*}. Every command must be acknowledged (CommandAck) within
 * {@link #ackTimeout()} of being sent, by agents that send acks, and answered (CommandResult) within its
 * kind's timeout; that timeout also travels to the agent as {@code FleetMessage.timeout_ms}.
 */
@ConfigMapping(prefix = "proxyvault.fleet.commands")
public interface CommandConfig {

    /**
     * {@code FLEET_COMMAND_ACK_TIMEOUT}: an agent acks on receipt, before doing anything, so this only covers
     * the network and the agent's stream: a few round trips, far below any command's own timeout.
     */
    @WithDefault("3s")
    Duration ackTimeout();

    /** ProvisionProxy: opening a listener (ms on a healthy host). Also the resend interval of provisioning. */
    @WithDefault("10s")
    Duration provisionTimeout();

    /** ReleaseProxy: closing a listener. */
    @WithDefault("10s")
    Duration releaseTimeout();

    /** SetFingerprint: recorded on the listener. */
    @WithDefault("10s")
    Duration fingerprintTimeout();

    /**
     * ResetIp FAST: a data-session reconnect; simulated ~1 s, mmcli {@code --simple-disconnect} then
     * {@code --simple-connect} takes seconds and, on a slow network, tens of seconds.
     */
    @WithDefault("60s")
    Duration fastResetTimeout();

    /**
     * ResetIp HARD ({@code FLEET_HARD_RESET_TIMEOUT}): a modem re-enumerating; simulated ~5 s, real modems up to
     * {@code AGENT_MM_HARD_RESET_TIMEOUT} (120 s) plus a connect, hence 150 s. Longer than a reseller's request
     * waits: such a reset answers 202 ({@code proxyvault.fleet.reset.sync-wait}) and finishes in the background.
     */
    @WithDefault("150s")
    Duration hardResetTimeout();

    /** The result timeout of {@code command}'s kind (anything unknown: the provision timeout). */
    default Duration timeoutFor(FleetMessage.Builder command) {
        switch (command.getCommandCase()) {
            case RELEASE_PROXY:
                return releaseTimeout();
            case SET_FINGERPRINT:
                return fingerprintTimeout();
            case RESET_IP:
                return command.getResetIp().getMode() == ResetMode.RESET_MODE_HARD ? hardResetTimeout() : fastResetTimeout();
            default:
                return provisionTimeout();
        }
    }
}
