package com.proxyvault.fleet.agents;

import com.proxyvault.platform.http.ApiException;

/**
 * How a command that got no answer reads to an API caller (docs/fleet.md "Commands: id, ack, timeout"),
 * the same on the replica the caller reached and on the one holding the agent's stream, so a forwarded
 * command fails exactly like a local one. Every one of these leaves the fleet's state as it was.
 */
public final class CommandErrors {

    /** 503: the agent is connected but did not acknowledge the command: it most likely never received it. */
    public static final String NOT_ACKNOWLEDGED = "agent_not_acknowledged";
    /** 504: the agent acknowledged the command but sent no result within the command's timeout. */
    public static final String TIMED_OUT = "agent_timeout";

    private CommandErrors() {
    }

    /**
     * The API error for a failed command: {@link AgentRouter.NotHeld} and a stream that ended → 503
     * {@code service_unavailable}; {@link CommandTimeout} ACK → 503 {@value #NOT_ACKNOWLEDGED}; RESULT → 504
     * {@value #TIMED_OUT}; an {@link ApiException} stays as it is.
     */
    public static ApiException toApi(Throwable failure) {
        if (failure instanceof ApiException api) {
            return api;
        }
        if (failure instanceof CommandTimeout timeout) {
            return timeout.stage() == CommandTimeout.Stage.ACK
                    ? ApiException.unavailable(NOT_ACKNOWLEDGED, "The proxy's agent did not acknowledge the command in time;"
                            + " nothing was changed, try again")
                    : new ApiException(504, TIMED_OUT, "The proxy's modem did not finish in time; the proxy was left as it"
                            + " was, try again");
        }
        if (failure instanceof AgentRouter.NotHeld) {
            return ApiException.unavailable("The proxy's modem is not reachable right now, try again");
        }
        return ApiException.unavailable("The proxy's modem did not answer, try again");
    }
}
