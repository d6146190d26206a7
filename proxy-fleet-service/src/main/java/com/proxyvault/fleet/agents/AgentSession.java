package com.proxyvault.fleet.agents;

import com.proxyvault.contracts.agent.v1.CommandResult;
import com.proxyvault.contracts.agent.v1.FleetMessage;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.MultiEmitter;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/** One agent's open stream on this replica: send commands, match results to them by command id. */
public class AgentSession {

    private final String agentId;
    private final MultiEmitter<? super FleetMessage> outbound;
    private final Map<String, CompletableFuture<CommandResult>> pending = new ConcurrentHashMap<>();

    AgentSession(String agentId, MultiEmitter<? super FleetMessage> outbound) {
        this.agentId = agentId;
        this.outbound = outbound;
    }

    public String agentId() {
        return agentId;
    }

    void send(FleetMessage message) {
        outbound.emit(message);
    }

    /** Sends a command and completes with the agent's result, or fails after {@code timeout}. */
    public Uni<CommandResult> command(FleetMessage.Builder command, Duration timeout) {
        String commandId = UUID.randomUUID().toString();
        CompletableFuture<CommandResult> result = new CompletableFuture<>();
        pending.put(commandId, result);
        send(command.setCommandId(commandId).build());
        return Uni.createFrom().completionStage(result)
                .ifNoItem().after(timeout).fail()
                .onTermination().invoke(() -> pending.remove(commandId));
    }

    void complete(CommandResult result) {
        CompletableFuture<CommandResult> waiting = pending.remove(result.getCommandId());
        if (waiting != null) {
            waiting.complete(result);
        }
    }

    void close(Throwable cause) {
        IllegalStateException gone = new IllegalStateException("Agent " + agentId + " disconnected", cause);
        pending.values().forEach(f -> f.completeExceptionally(gone));
        pending.clear();
    }

    void terminate() {
        outbound.complete();
    }
}
