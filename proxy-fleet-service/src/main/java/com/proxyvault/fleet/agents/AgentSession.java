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

/**
 * One agent's open stream on this replica: sends commands and matches acks and results to them by command
 * id (docs/fleet.md "Commands: id, ack, timeout"). Each command gets a fresh id and its {@code timeout_ms};
 * the returned Uni fails with {@link CommandTimeout} ACK when an acking agent
 * ({@code Hello.protocol_version} ≥ {@value #ACKING_PROTOCOL}) has not acked it within the ack timeout, and
 * with {@link CommandTimeout} RESULT when no result came within the command's timeout.
 */
public class AgentSession {

    /** The first {@code Hello.protocol_version} whose agents ack every command. */
    public static final int ACKING_PROTOCOL = 2;
    /**
     * The first {@code Hello.protocol_version} whose heartbeats list every served proxy with its port and fingerprint
     * (agent.proto; docs/fleet.md "Heartbeats as reconciliation").
     */
    public static final int REPORTING_PROTOCOL = 3;

    private final String agentId;
    private final java.util.UUID stream;
    private final MultiEmitter<? super FleetMessage> outbound;
    private final boolean acks;
    private final boolean reportsAllServed;
    private final CommandConfig config;
    /** Proxies the last heartbeat check found not served as the database says (guarded by {@code this}). */
    private java.util.Set<Long> suspects = java.util.Set.of();
    private final Map<String, Pending> pending = new ConcurrentHashMap<>();

    /** A command sent and not answered yet: its ack and its result, each completed at most once. */
    private record Pending(CompletableFuture<Void> acked, CompletableFuture<CommandResult> result) {
    }

    AgentSession(String agentId, MultiEmitter<? super FleetMessage> outbound, int protocolVersion, CommandConfig config) {
        this(agentId, java.util.UUID.randomUUID(), outbound, protocolVersion, config);
    }

    /** {@code stream}: the id its Hello wrote into {@code agents.stream_id} (V26). */
    AgentSession(String agentId, java.util.UUID stream, MultiEmitter<? super FleetMessage> outbound, int protocolVersion,
                 CommandConfig config) {
        this.agentId = agentId;
        this.stream = stream;
        this.outbound = outbound;
        this.acks = protocolVersion >= ACKING_PROTOCOL;
        this.reportsAllServed = protocolVersion >= REPORTING_PROTOCOL;
        this.config = config;
    }

    public String agentId() {
        return agentId;
    }

    /** The stream's id, as its Hello wrote it into {@code agents.stream_id} (fleet migration V26). */
    public java.util.UUID stream() {
        return stream;
    }

    /** True when this agent acks commands (older agents answer with the result only). */
    public boolean acks() {
        return acks;
    }

    /** True when every heartbeat of this agent lists every proxy it serves ({@value #REPORTING_PROTOCOL}). */
    public boolean reportsAllServed() {
        return reportsAllServed;
    }

    /**
     * Two strikes for a heartbeat check (docs/fleet.md "Heartbeats as reconciliation"): {@code found} are the proxies
     * this check found not served as the database says; the answer is those the previous check on this stream found
     * too, and {@code found} replaces what is remembered. A proxy seen once may be a command still on its way (the
     * heartbeat was built before the agent ran it, or the database write of its outcome had not committed when the
     * check read it); seen in two heartbeats 10 s apart it is not. A confirmed proxy starts again from none: its place
     * is sent at most every second heartbeat, also when re-opening it keeps failing (static review, stop 32, L3).
     */
    public synchronized java.util.Set<Long> confirmSuspects(java.util.Set<Long> found) {
        java.util.Set<Long> confirmed = new java.util.HashSet<>(found);
        confirmed.retainAll(suspects);
        java.util.Set<Long> remembered = new java.util.HashSet<>(found);
        remembered.removeAll(confirmed);
        suspects = java.util.Set.copyOf(remembered);
        return confirmed;
    }

    void send(FleetMessage message) {
        outbound.emit(message);
    }

    /** {@link #command(FleetMessage.Builder, Duration)} with the command kind's own timeout ({@link CommandConfig}). */
    public Uni<CommandResult> command(FleetMessage.Builder command) {
        return command(command, config.timeoutFor(command));
    }

    /**
     * Sends a command (a new {@code command_id}, {@code timeout_ms} = {@code timeout}) and completes with the
     * agent's result; fails with {@link CommandTimeout} (no ack in the ack timeout, or no result in
     * {@code timeout}, both counted from sending) or {@link IllegalStateException} when the stream ends first.
     */
    public Uni<CommandResult> command(FleetMessage.Builder command, Duration timeout) {
        String commandId = UUID.randomUUID().toString();
        String kind = command.getCommandCase().name();
        Pending waiting = new Pending(new CompletableFuture<>(), new CompletableFuture<>());
        pending.put(commandId, waiting);
        send(command.setCommandId(commandId).setTimeoutMs(timeout.toMillis()).build());
        // copies: a timeout cancels what it waits on, and the ack must stay completable by a late result
        Uni<CommandResult> result = Uni.createFrom().completionStage(waiting.result().copy())
                .ifNoItem().after(timeout).failWith(() -> new CommandTimeout(agentId, kind, CommandTimeout.Stage.RESULT, timeout));
        if (acks && config.ackTimeout().compareTo(timeout) < 0) {
            Uni<Void> acked = Uni.createFrom().completionStage(waiting.acked().copy())
                    .ifNoItem().after(config.ackTimeout())
                    .failWith(() -> new CommandTimeout(agentId, kind, CommandTimeout.Stage.ACK, config.ackTimeout()));
            result = Uni.combine().all().unis(acked, result).asTuple().map(both -> both.getItem2());
        }
        return result.onTermination().invoke(() -> pending.remove(commandId));
    }

    /**
     * Writes {@code command} to the stream with a fresh {@code command_id} and {@code timeout_ms} 0 ("no deadline": the
     * agent never skips it as expired) and waits for nothing: its ack and result are ignored (unknown ids). For the
     * state the fleet kept after giving up on a command ({@code CommandErrors.mayHaveRun}): what matters is that it is
     * on the stream before any later command, and that it is carried out whenever the agent gets to it.
     */
    public void sendOnly(FleetMessage.Builder command) {
        send(command.setCommandId(UUID.randomUUID().toString()).setTimeoutMs(0).build());
    }

    /** The agent received the command ({@code CommandAck}). Unknown ids (answered, timed out) are ignored. */
    void acknowledged(String commandId) {
        Pending waiting = pending.get(commandId);
        if (waiting != null) {
            waiting.acked().complete(null);
        }
    }

    void complete(CommandResult result) {
        Pending waiting = pending.remove(result.getCommandId());
        if (waiting != null) {
            waiting.acked().complete(null); // a result implies receipt, should its ack have been lost
            waiting.result().complete(result);
        }
    }

    void close(Throwable cause) {
        IllegalStateException gone = new IllegalStateException("Agent " + agentId + " disconnected", cause);
        pending.values().forEach(p -> {
            p.acked().completeExceptionally(gone);
            p.result().completeExceptionally(gone);
        });
        pending.clear();
    }

    void terminate() {
        outbound.complete();
    }
}
