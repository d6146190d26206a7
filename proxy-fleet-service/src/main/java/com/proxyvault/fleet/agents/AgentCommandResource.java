package com.proxyvault.fleet.agents;

import com.google.protobuf.InvalidProtocolBufferException;
import com.proxyvault.contracts.agent.v1.FleetMessage;
import com.proxyvault.contracts.auth.InternalJwt;
import com.proxyvault.platform.auth.CurrentReseller;
import com.proxyvault.platform.http.ApiException;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import org.eclipse.microprofile.jwt.JsonWebToken;
import org.hibernate.reactive.mutiny.Mutiny;
import org.jboss.resteasy.reactive.server.Cancellable;

import java.time.Duration;

/**
 * The replica-to-replica hop of a command (docs/fleet.md "Two replicas"):
 * {@code POST /internal/agent-commands/{agentId}?timeout_ms=N}, body a {@code FleetMessage} (protobuf),
 * sent by another replica ({@link AgentRouter}) with the internal token of the call that needs it. The
 * command goes over the agent's stream if it is open here, never further, and the agent's
 * {@code CommandResult} is the answer (200, protobuf). Not here → 503 {@value #NOT_HELD_CODE}; not acked
 * within the ack timeout → 503 {@code agent_not_acknowledged}, acked but no result within {@code timeout_ms} →
 * 504 {@code agent_timeout} ({@link CommandErrors}; the caller turns these back into the same failures). A
 * reseller's token may only command that reseller's proxies (404 otherwise).
 */
@Path("/internal/agent-commands")
@RolesAllowed({InternalJwt.RESELLER_ROLE, InternalJwt.OPERATOR_ROLE})
@Cancellable(false) // a write the caller started finishes if the caller hangs up (docs/api.md "Hang-ups")
public class AgentCommandResource {

    /** The code of the 503 a replica answers for an agent whose stream it does not hold. */
    static final String NOT_HELD_CODE = "agent_not_connected_here";
    /** Longest wait a forwarded command may ask for: above every kind's timeout (a hard reset's 150 s). */
    private static final Duration MAX_TIMEOUT = Duration.ofMinutes(5);

    private final AgentRegistry registry;
    private final JsonWebToken caller;
    private final Mutiny.SessionFactory sessionFactory;

    public AgentCommandResource(AgentRegistry registry, JsonWebToken caller, Mutiny.SessionFactory sessionFactory) {
        this.registry = registry;
        this.caller = caller;
        this.sessionFactory = sessionFactory;
    }

    /** Sends the forwarded command to the agent's stream on this replica and answers with its result. */
    @POST
    @Path("/{agentId}")
    @Consumes(AgentRouter.PROTOBUF)
    @Produces(AgentRouter.PROTOBUF)
    public Uni<byte[]> command(@PathParam("agentId") String agentId, @QueryParam(AgentRouter.TIMEOUT_PARAM) long timeoutMs,
                               byte[] body) {
        FleetMessage command = parse(body);
        Duration timeout = Duration.ofMillis(Math.max(1, Math.min(timeoutMs, MAX_TIMEOUT.toMillis())));
        return mayCommand(command).chain(() -> {
            AgentSession session = registry.session(agentId).orElseThrow(() -> ApiException.unavailable(NOT_HELD_CODE,
                    "Agent " + agentId + " is not connected to this replica"));
            return session.command(command.toBuilder(), timeout)
                    .onFailure().transform(CommandErrors::toApi)
                    .map(result -> result.toByteArray());
        });
    }

    /**
     * {@code POST /internal/agent-commands/{agentId}/send}: writes the forwarded command to the agent's stream here
     * without waiting for its ack or result ({@link AgentSession#sendOnly}) and answers 204 once it is written, so the
     * forwarding replica knows it is on the stream before anything it sends later (a reverted connect's kept state,
     * docs/fleet.md "A command the fleet gave up on"). 503 {@value #NOT_HELD_CODE} when the stream is not here.
     */
    @POST
    @Path("/{agentId}/send")
    @Consumes(AgentRouter.PROTOBUF)
    public Uni<Void> send(@PathParam("agentId") String agentId, byte[] body) {
        FleetMessage command = parse(body);
        return mayCommand(command).invoke(() -> registry.session(agentId)
                .orElseThrow(() -> ApiException.unavailable(NOT_HELD_CODE, "Agent " + agentId + " is not connected to this replica"))
                .sendOnly(command.toBuilder()));
    }

    /** Operators may command any agent; a reseller only about its own proxy. */
    private Uni<Void> mayCommand(FleetMessage command) {
        if (caller.getGroups().contains(InternalJwt.OPERATOR_ROLE)) {
            return Uni.createFrom().voidItem();
        }
        long resellerId = CurrentReseller.resellerId(caller);
        long proxyId = proxyIdOf(command);
        return sessionFactory.withSession(session -> session
                        .createNativeQuery("select count(*) from proxies where id = :id and reseller_id = :reseller", Long.class)
                        .setParameter("id", proxyId).setParameter("reseller", resellerId).getSingleResult())
                .invoke(count -> {
                    if (count == 0) {
                        throw ApiException.notFound("Proxy not found");
                    }
                })
                .replaceWithVoid();
    }

    private static long proxyIdOf(FleetMessage command) {
        switch (command.getCommandCase()) {
            case PROVISION_PROXY:
                return command.getProvisionProxy().getProxyId();
            case RELEASE_PROXY:
                return command.getReleaseProxy().getProxyId();
            case RESET_IP:
                return command.getResetIp().getProxyId();
            case SET_FINGERPRINT:
                return command.getSetFingerprint().getProxyId();
            default:
                throw ApiException.badRequest("Not a command about a proxy");
        }
    }

    private static FleetMessage parse(byte[] body) {
        try {
            return FleetMessage.parseFrom(body == null ? new byte[0] : body);
        } catch (InvalidProtocolBufferException e) {
            throw ApiException.badRequest("Unreadable command");
        }
    }
}
