package com.proxyvault.fleet.agents;

import com.proxyvault.contracts.agent.v1.AgentLink;
import com.proxyvault.contracts.agent.v1.AgentMessage;
import com.proxyvault.contracts.agent.v1.FleetMessage;
import com.proxyvault.contracts.agent.v1.Hello;
import com.proxyvault.contracts.agent.v1.Welcome;
import com.proxyvault.fleet.provisioning.Reconciler;
import com.proxyvault.platform.vertx.VertxContexts;
import io.grpc.Status;
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.subscription.MultiEmitter;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * The gRPC endpoint agents dial out to. One call = one agent's session: Hello (authenticated with the
 * agent's token) → Welcome, then heartbeats, command acks and command results from the agent, commands from
 * us (docs/fleet.md "Commands: id, ack, timeout").
 */
@GrpcService
public class AgentLinkService implements AgentLink {

    private static final Logger LOG = Logger.getLogger(AgentLinkService.class);

    private final AgentTokens tokens;
    private final AgentRegistry registry;
    private final AgentStore store;
    private final Reconciler reconciler;
    private final VertxContexts contexts;
    private final int heartbeatIntervalSeconds;
    private final CommandConfig commands;
    private final HeartbeatWriter heartbeats;

    public AgentLinkService(AgentTokens tokens, AgentRegistry registry, AgentStore store, Reconciler reconciler,
                            VertxContexts contexts, CommandConfig commands, HeartbeatWriter heartbeats,
                            @ConfigProperty(name = "proxyvault.fleet.heartbeat-interval-seconds") int heartbeatIntervalSeconds) {
        this.tokens = tokens;
        this.registry = registry;
        this.store = store;
        this.reconciler = reconciler;
        this.contexts = contexts;
        this.heartbeatIntervalSeconds = heartbeatIntervalSeconds;
        this.commands = commands;
        this.heartbeats = heartbeats;
    }

    @Override
    public Multi<FleetMessage> connect(Multi<AgentMessage> inbound) {
        return Multi.createFrom().emitter(outbound -> {
            Connection connection = new Connection(outbound);
            inbound.subscribe().with(connection::onMessage, connection::onEnd, () -> connection.onEnd(null));
            outbound.onTermination(() -> connection.onEnd(null));
        });
    }

    /** The state of one stream: nothing until a valid Hello, then a registered {@link AgentSession}. */
    private final class Connection {
        private final MultiEmitter<? super FleetMessage> outbound;
        private volatile boolean helloSeen;
        private volatile AgentSession session;
        private volatile boolean ended;
        /** This stream's id in {@code agents.stream_id} (V26): its end and its heartbeats act only while it is there. */
        private final java.util.UUID stream = java.util.UUID.randomUUID();

        Connection(MultiEmitter<? super FleetMessage> outbound) {
            this.outbound = outbound;
        }

        void onMessage(AgentMessage message) {
            switch (message.getBodyCase()) {
                case HELLO -> onHello(message.getHello());
                case HEARTBEAT -> {
                    AgentSession current = session;
                    if (current != null) { // written with the next batch (HeartbeatWriter, once a second)
                        heartbeats.record(current, message.getHeartbeat().getTrafficList(), message.getHeartbeat().getModemsList());
                    }
                }
                case ACK -> {
                    AgentSession current = session;
                    if (current != null) {
                        current.acknowledged(message.getAck().getCommandId());
                    }
                }
                case RESULT -> {
                    AgentSession current = session;
                    if (current != null) {
                        current.complete(message.getResult());
                    }
                }
                default -> LOG.debugf("Ignoring empty agent message");
            }
        }

        private void onHello(Hello hello) {
            if (helloSeen) {
                return;
            }
            helloSeen = true;
            if (!tokens.accepts(hello.getAgentId(), hello.getToken())) {
                LOG.warnf("Refused agent '%s': unknown agent or wrong token", hello.getAgentId());
                outbound.fail(Status.UNAUTHENTICATED.withDescription("Unknown agent or wrong token").asRuntimeException());
                return;
            }
            if (hello.getPortRangeStart() <= 0 || hello.getPortRangeEnd() < hello.getPortRangeStart() || hello.getPortRangeEnd() > 65535) {
                outbound.fail(Status.INVALID_ARGUMENT.withDescription("Invalid port range").asRuntimeException());
                return;
            }
            contexts.onNewContext(() -> store.register(hello, stream)).subscribe().with(ok -> {
                if (ended) {
                    // The stream ended while its Hello was being written: onEnd had no session to record, so the row
                    // named a dead stream as connected here (placed on for up to the liveness timeout, its commands
                    // failing). Recorded now; guarded by the stream id (V26), so a newer stream's row is left alone
                    // (static review, stop 29, finding 7).
                    contexts.onNewContext(() -> store.disconnected(hello.getAgentId(), stream)).subscribe().with(
                            done -> { }, e -> LOG.warnf("Recording disconnect of %s failed: %s", hello.getAgentId(), e));
                    return;
                }
                AgentSession registered = new AgentSession(hello.getAgentId(), stream, outbound, hello.getProtocolVersion(), commands);
                session = registered;
                registry.register(registered);
                registered.send(FleetMessage.newBuilder()
                        .setWelcome(Welcome.newBuilder().setHeartbeatIntervalSeconds(heartbeatIntervalSeconds)).build());
                LOG.infof("Agent %s connected with %d modems (%s, protocol %d%s)", hello.getAgentId(), hello.getModemsCount(),
                        hello.getPublicHost(), hello.getProtocolVersion(), registered.acks() ? ", acks commands" : ", no acks: results only");
                reconciler.afterHello(registered, hello.getServedProxiesList());
            }, failure -> {
                LOG.errorf(failure, "Registering agent %s failed", hello.getAgentId());
                outbound.fail(Status.UNAVAILABLE.withDescription("Fleet could not register the agent, retry").asRuntimeException());
            });
        }

        void onEnd(Throwable failure) {
            if (ended) {
                return;
            }
            ended = true;
            AgentSession current = session;
            if (current == null) {
                return;
            }
            current.close(failure);
            if (registry.unregister(current)) {
                LOG.infof("Agent %s disconnected%s", current.agentId(), failure == null ? "" : ": " + failure.getMessage());
                contexts.onNewContext(() -> store.disconnected(current.agentId(), current.stream())).subscribe().with(
                        ok -> { }, e -> LOG.warnf("Recording disconnect of %s failed: %s", current.agentId(), e));
            }
            if (!outbound.isCancelled()) {
                outbound.complete();
            }
        }
    }
}
