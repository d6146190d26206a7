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

    /**
     * Whether the agent may still carry out a command that failed with {@code failure}: it may when the command went
     * out and its answer did not come back ({@link CommandTimeout} of either stage, a stream that ended, a replica that
     * forwarded it and did not answer), even though the caller was told "nothing was changed". Not when it was never
     * sent ({@link AgentRouter.NotHeld}) or the agent refused it (an {@link ApiException} made of its {@code ok=false}).
     * A frozen agent that woke up ran such a command, the move the fleet had reverted, and left the proxy's
     * listener on a port and credentials nobody had (new-user review, stop 30, H1): the caller then sends the state it
     * kept once more, on the same stream, so the agent, which carries out commands in the order they arrive, ends
     * there (docs/fleet.md "A command the fleet gave up on").
     */
    public static boolean mayHaveRun(Throwable failure) {
        return !(failure instanceof ApiException) && !(failure instanceof AgentRouter.NotHeld);
    }
}
