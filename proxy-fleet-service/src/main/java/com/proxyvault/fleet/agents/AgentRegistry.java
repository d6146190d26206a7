package com.proxyvault.fleet.agents;

import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The agents whose stream is open on this replica. Commands for an agent are sent by the replica that
 * holds its stream: the jobs that send commands only pick work for agents found here, and a control call
 * for an agent held elsewhere is forwarded there ({@link AgentRouter}).
 */
@ApplicationScoped
public class AgentRegistry {

    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(AgentRegistry.class);

    private final Map<String, AgentSession> sessions = new ConcurrentHashMap<>();

    /** The agent's open stream on this replica, if it is here. */
    public Optional<AgentSession> session(String agentId) {
        return Optional.ofNullable(sessions.get(agentId));
    }

    /** The agents whose streams are open on this replica. */
    public java.util.Set<String> connectedAgentIds() {
        return sessions.keySet();
    }

    /**
     * Registers a new stream; an older stream of the same agent (a reconnect we hadn't noticed) is ended, with a WARN:
     * two hosts started with one agent id (an agent.env copied) end each other's stream at every Hello and flapped
     * every second with nothing in the log but "connected" lines (new-user review 5, finding 8).
     */
    void register(AgentSession session) {
        AgentSession previous = sessions.put(session.agentId(), session);
        if (previous != null && previous != session) {
            LOG.warnf("Agent %s said Hello while its previous stream here was still open: that stream is ended. If this"
                    + " repeats every few seconds, two hosts run with this agent id and end each other's stream", session.agentId());
            previous.close(null);
            previous.terminate();
        }
    }

    /** True when this session was still the agent's current one. */
    boolean unregister(AgentSession session) {
        return sessions.remove(session.agentId(), session);
    }
}
