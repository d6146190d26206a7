package com.proxyvault.fleet.agents;

import com.google.protobuf.InvalidProtocolBufferException;
import com.proxyvault.contracts.agent.v1.CommandResult;
import com.proxyvault.contracts.agent.v1.FleetMessage;
import com.proxyvault.fleet.provisioning.AgentCommands;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.time.Duration;

/**
 * Sends a command to an agent wherever its stream is (docs/fleet.md "Two replicas"): over the stream
 * when it is open on this replica, otherwise forwarded to the replica holding it
 * ({@link AgentCommandResource}) with the caller's internal token, and that replica's {@link CommandResult}
 * returned unchanged. No live replica holds the stream → {@link NotHeld}.
 */
@Singleton
public class AgentRouter {

    private static final Logger LOG = Logger.getLogger(AgentRouter.class);
    /** The internal endpoint a replica serves for the others: {@code POST <url>/internal/agent-commands/{agentId}}. */
    static final String PATH = "/internal/agent-commands/";
    static final String PROTOBUF = "application/x-protobuf";
    static final String TIMEOUT_PARAM = "timeout_ms";

    private final AgentRegistry registry;
    private final CommandConfig commands;
    private final FleetReplicas replicas;
    private final ReplicaConfig config;
    private final HttpClient http;

    private final Counter forwarded;

    public AgentRouter(AgentRegistry registry, FleetReplicas replicas, ReplicaConfig config, CommandConfig commands, Vertx vertx,
                       MeterRegistry meters) {
        this.commands = commands;
        this.forwarded = Counter.builder("proxyvault.fleet.commands.forwarded")
                .description("Commands this replica forwarded to the replica holding the agent's stream").register(meters);
        this.registry = registry;
        this.replicas = replicas;
        this.config = config;
        this.http = vertx.createHttpClient(new HttpClientOptions().setConnectTimeout(2000).setKeepAlive(true));
    }

    /** No replica with a live lease holds the agent's stream: it is not connected anywhere right now. */
    public static final class NotHeld extends RuntimeException {
        NotHeld(String agentId) {
            super("Agent " + agentId + " is not connected to any fleet replica");
        }
    }

    /** {@link #command(String, FleetMessage.Builder, Duration, String)} with the command kind's own timeout. */
    public Uni<CommandResult> command(String agentId, FleetMessage.Builder command, String authorization) {
        return command(agentId, command, commands.timeoutFor(command), authorization);
    }

    /**
     * The agent's result for {@code command}, or a failure: {@link NotHeld}, {@link CommandTimeout} (no ack in
     * the ack timeout, or no result within {@code timeout}: the same whether the stream is here or on the
     * replica the command was forwarded to), or the replica holding the stream did not answer. {@code authorization} is the caller's
     * {@code Authorization} header, passed on when the command is forwarded; without one (background work)
     * a command for an agent on another replica fails with {@link NotHeld}.
     */
    public Uni<CommandResult> command(String agentId, FleetMessage.Builder command, Duration timeout, String authorization) {
        var local = registry.session(agentId);
        if (local.isPresent()) {
            return local.get().command(command, timeout);
        }
        if (authorization == null) {
            return Uni.createFrom().failure(new NotHeld(agentId));
        }
        return onCallersContext(replicas.holderOf(agentId).chain(holder -> holder
                .map(h -> forward(h, agentId, command.build(), timeout, authorization))
                .orElseGet(() -> Uni.createFrom().failure(new NotHeld(agentId)))));
    }

    /**
     * Best effort: tells the agent to close a proxy's port, wherever its stream is (forwarded only with the
     * caller's {@code authorization}), and only logs a failure. An agent that misses it is told again by its
     * replica: a heartbeat naming an expired or failed proxy, or a reconnect ({@code Reconciler}).
     */
    public void releaseQuietly(String agentId, long proxyId, int port, String authorization) {
        release(agentId, proxyId, port, authorization).subscribe().with(ignored -> { }, ignored -> { });
    }

    /**
     * Like {@link #releaseQuietly}, but completes once the agent has answered (or the attempt failed, which
     * is only logged: the item is {@code true} when the agent confirmed the port closed). For a caller that
     * answers a reseller: a 200 to {@code disconnect} then means the port no longer accepts its credentials,
     * whenever the agent is reachable.
     */
    public Uni<Boolean> release(String agentId, long proxyId, int port, String authorization) {
        return command(agentId, AgentCommands.release(proxyId, port), authorization)
                .map(result -> {
                    if (!result.getOk()) {
                        LOG.warnf("Agent %s could not release proxy %d: %s", agentId, proxyId, result.getError());
                    }
                    return result.getOk();
                })
                .onFailure().recoverWithItem(failure -> {
                    if (failure instanceof NotHeld) {
                        LOG.debugf("Releasing proxy %d: %s; it is released when the agent reconnects", proxyId, failure.getMessage());
                    } else {
                        LOG.warnf("Releasing proxy %d on %s: %s", proxyId, agentId, failure.getMessage());
                    }
                    return false;
                });
    }

    /**
     * Writes {@code command} to the agent's stream, wherever it is, and completes once it is written, without waiting
     * for the agent ({@link AgentSession#sendOnly}: {@code timeout_ms} 0, ack and result ignored). Here: at once. On
     * another replica: forwarded with the caller's {@code authorization} to {@code .../{agentId}/send}, which answers
     * 204 once the command is on the stream there (at most the ack timeout plus the forward margin). Fails with
     * {@link NotHeld} when no replica holds the stream (or there is no {@code authorization} to forward with), or the
     * hop's failure. For the state the fleet kept after a command it gave up on: the caller holds what orders later
     * commands (a row lock, a lease) until this completes (docs/fleet.md "A command the fleet gave up on").
     */
    public Uni<Void> sendOnly(String agentId, FleetMessage.Builder command, String authorization) {
        var local = registry.session(agentId);
        if (local.isPresent()) {
            local.get().sendOnly(command);
            return Uni.createFrom().voidItem();
        }
        if (authorization == null) {
            return Uni.createFrom().failure(new NotHeld(agentId));
        }
        return onCallersContext(replicas.holderOf(agentId).chain(holder -> holder
                .map(h -> forwardSendOnly(h, agentId, command.build(), authorization))
                .orElseGet(() -> Uni.createFrom().failure(new NotHeld(agentId)))));
    }

    /**
     * {@code hop}'s outcome delivered on the Vert.x context of the caller of this method (the hop's HTTP client answers
     * on its own): Hibernate Reactive work the caller chains after it must run on the caller's context.
     */
    private static <T> Uni<T> onCallersContext(Uni<T> hop) {
        Context caller = Vertx.currentContext();
        return hop.emitOn(task -> {
            if (caller == null) {
                task.run();
            } else {
                caller.runOnContext(ignored -> task.run());
            }
        });
    }

    private Uni<Void> forwardSendOnly(FleetReplicas.Holder holder, String agentId, FleetMessage command, String authorization) {
        String uri = holder.url() + PATH + java.net.URLEncoder.encode(agentId, java.nio.charset.StandardCharsets.UTF_8) + "/send";
        RequestOptions request = new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(uri)
                .setTimeout(commands.ackTimeout().plus(config.forwardMargin()).toMillis())
                .putHeader(HttpHeaders.AUTHORIZATION, authorization)
                .putHeader(HttpHeaders.CONTENT_TYPE, PROTOBUF);
        forwarded.increment();
        return Uni.createFrom().completionStage(() -> http.request(request)
                        .compose(req -> req.send(Buffer.buffer(command.toByteArray())))
                        .compose(response -> response.body().map(body -> {
                            if (response.statusCode() == 204) {
                                return (Void) null;
                            }
                            if (response.statusCode() == 503 && body.toString().contains(AgentCommandResource.NOT_HELD_CODE)) {
                                throw new NotHeld(agentId);
                            }
                            throw new IllegalStateException("Replica " + holder.replicaId() + " answered "
                                    + response.statusCode() + ": " + body);
                        }))
                        .toCompletionStage());
    }

    private Uni<CommandResult> forward(FleetReplicas.Holder holder, String agentId, FleetMessage command, Duration timeout,
                                       String authorization) {
        String uri = holder.url() + PATH + java.net.URLEncoder.encode(agentId, java.nio.charset.StandardCharsets.UTF_8)
                + "?" + TIMEOUT_PARAM + "=" + timeout.toMillis();
        RequestOptions request = new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(uri)
                .setTimeout(timeout.plus(config.forwardMargin()).toMillis())
                .putHeader(HttpHeaders.AUTHORIZATION, authorization)
                .putHeader(HttpHeaders.CONTENT_TYPE, PROTOBUF)
                .putHeader(HttpHeaders.ACCEPT, PROTOBUF);
        LOG.debugf("Forwarding a command for agent %s to replica %s", agentId, holder.replicaId());
        forwarded.increment();
        return Uni.createFrom().completionStage(() -> http.request(request)
                        .compose(req -> req.send(Buffer.buffer(command.toByteArray())))
                        .compose(response -> response.body().map(body -> {
                            if (response.statusCode() == 200) {
                                return parse(body);
                            }
                            if (response.statusCode() == 503 && body.toString().contains(AgentCommandResource.NOT_HELD_CODE)) {
                                throw new NotHeld(agentId); // it let go of the stream meanwhile
                            }
                            // the holder's own timeouts, so a forwarded command fails as a local one would
                            if (response.statusCode() == 503 && body.toString().contains(CommandErrors.NOT_ACKNOWLEDGED)) {
                                throw new CommandTimeout(agentId, command.getCommandCase().name(), CommandTimeout.Stage.ACK,
                                        commands.ackTimeout());
                            }
                            if (response.statusCode() == 504 && body.toString().contains(CommandErrors.TIMED_OUT)) {
                                throw new CommandTimeout(agentId, command.getCommandCase().name(), CommandTimeout.Stage.RESULT, timeout);
                            }
                            throw new IllegalStateException("Replica " + holder.replicaId() + " answered "
                                    + response.statusCode() + ": " + body);
                        }))
                        .toCompletionStage());
    }

    private static CommandResult parse(Buffer body) {
        try {
            return CommandResult.parseFrom(body.getBytes());
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("Unreadable command result from another replica", e);
        }
    }
}
