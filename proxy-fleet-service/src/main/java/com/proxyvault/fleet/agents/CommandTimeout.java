package com.proxyvault.fleet.agents;

import java.time.Duration;

/**
 * An agent did not answer a command in time (docs/fleet.md "Commands: id, ack, timeout"). {@link Stage#ACK}:
 * no CommandAck within the ack timeout, so the agent most likely never received it and did nothing;
 * {@link Stage#RESULT}: it acked (it is working on it) but sent no CommandResult within the command's own
 * timeout. Either way the fleet changes nothing of its own state for that command.
 */
public final class CommandTimeout extends RuntimeException {

    /** Which answer was missing. */
    public enum Stage { ACK, RESULT }

    private final Stage stage;

    public CommandTimeout(String agentId, String kind, Stage stage, Duration waited) {
        super("Agent " + agentId + (stage == Stage.ACK ? " did not acknowledge " : " acknowledged but did not finish ")
                + kind + " within " + waited.toMillis() + " ms", null, false, false);
        this.stage = stage;
    }

    public Stage stage() {
        return stage;
    }
}
