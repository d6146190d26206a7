package com.proxyvault.fleet.agents;

import com.proxyvault.fleet.provisioning.AgentCommands;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.time.Duration;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The agents whose stream is open on this replica. Commands for an agent are sent by the replica that
 * holds its stream: the jobs that send commands only pick work for agents found here.
 */
@ApplicationScoped
public class AgentRegistry {

    private static final Logger LOG = Logger.getLogger(AgentRegistry.class);
    private static final Duration RELEASE_TIMEOUT = Duration.ofSeconds(10);

    private final Map<String, AgentSession> sessions = new ConcurrentHashMap<>();

    public Optional<AgentSession> session(String agentId) {
        return Optional.ofNullable(sessions.get(agentId));
    }

    public java.util.Set<String> connectedAgentIds() {
        return sessions.keySet();
    }

    /**
     * Best effort: tells the agent, if its stream is open here, to close a proxy's port, and only logs a
     * failure. An agent that misses it is told again when it reconnects ({@code Reconciler}).
     */
    public void releaseQuietly(String agentId, long proxyId, int port) {
        session(agentId).ifPresent(session -> session.command(AgentCommands.release(proxyId, port), RELEASE_TIMEOUT)
                .subscribe().with(
                        result -> {
                            if (!result.getOk()) {
                                LOG.warnf("Agent %s could not release proxy %d: %s", agentId, proxyId, result.getError());
                            }
                        },
                        failure -> LOG.warnf("Releasing proxy %d on %s: %s", proxyId, agentId, failure.getMessage())));
    }

    /** Registers a new stream; an older stream of the same agent (a reconnect we hadn't noticed) is ended. */
    void register(AgentSession session) {
        AgentSession previous = sessions.put(session.agentId(), session);
        if (previous != null && previous != session) {
            previous.close(null);
            previous.terminate();
        }
    }

    /** True when this session was still the agent's current one. */
    boolean unregister(AgentSession session) {
        return sessions.remove(session.agentId(), session);
    }
}
