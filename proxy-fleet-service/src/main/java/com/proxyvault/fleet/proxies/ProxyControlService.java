package com.proxyvault.fleet.proxies;

import com.proxyvault.platform.time.ClockProducer;
import com.proxyvault.contracts.agent.v1.CommandResult;
import com.proxyvault.contracts.agent.v1.Fingerprint;
import com.proxyvault.contracts.agent.v1.FleetMessage;
import com.proxyvault.platform.http.ApiException;
import com.proxyvault.platform.outbox.Outbox;
import com.proxyvault.contracts.events.EventEnvelope;
import com.proxyvault.contracts.events.EventTypes;
import com.proxyvault.contracts.events.ProxyOnline;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.proxyvault.fleet.agents.AgentRouter;
import com.proxyvault.fleet.agents.CommandConfig;
import com.proxyvault.fleet.agents.CommandErrors;
import com.proxyvault.fleet.locations.Location;
import com.proxyvault.fleet.provisioning.AgentCommands;
import com.proxyvault.fleet.provisioning.Credentials;
import com.proxyvault.fleet.provisioning.ModemAllocator;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowIterator;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import org.hibernate.LockMode;
import org.hibernate.reactive.mutiny.Mutiny;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.List;

/**
 * What a reseller does to a running proxy: change its fingerprint, disconnect it, connect it to a location
 * (resets: {@link ProxyRotations}). Commands go to the agent serving the proxy over its stream, and the HTTP answer waits
 * for the agent's result, so "200" means the modem really did it.
 */
@ApplicationScoped
public class ProxyControlService {

    private static final Logger LOG = Logger.getLogger(ProxyControlService.class);
    public static final List<String> FINGERPRINTS = List.of("none", "linux", "macos", "windows");
    /**
     * Claims the proxy for one fingerprint change (its lease, V21: {@code $1} = until when): only the owner's
     * ({@code $3}) active or disconnected proxy ({@code $5}, {@code $6}) that no connect ({@code moving_until}) and no
     * other change ({@code fingerprint_until}) holds at {@code $4}. One conditional update, so the claim is the read:
     * the change's path has the same two statements as before the lease. No row: {@link #FINGERPRINT_TARGET} says why.
     */
    static final String CLAIM_FINGERPRINT = """
            update proxies set fingerprint_until = $1
            where id = $2 and reseller_id = $3 and status in ($5, $6)
              and (moving_until is null or moving_until <= $4) and (fingerprint_until is null or fingerprint_until <= $4)
            returning status, agent_id""";
    /**
     * Stores the profile the agent applied and ends the change's lease ({@code $4}); skipped only when a newer
     * change holds the proxy (its lease is later), which cannot happen before this change's command timed out.
     */
    static final String SET_FINGERPRINT = """
            update proxies set fingerprint = $1, updated_at = $2, fingerprint_until = null
            where id = $3 and (fingerprint_until is null or fingerprint_until <= $4)""";
    /**
     * Ends a connect's move ({@code $1} the proxy, {@code $2}/{@code $3} the agent and port it moved to): its lease and
     * the place it held on the way (V24). No row when the proxy was moved or released again meanwhile.
     */
    static final String END_MOVE = """
            update proxies set moving_until = null,
                               move_from_modem_id = null, move_from_agent_id = null, move_from_port = null
            where id = $1 and agent_id = $2 and port = $3""";
    /**
     * {@link #END_MOVE} of a proxy that was offline before the connect, and its {@code proxy.online} ({@code $4}..{@code $8}:
     * the outbox row) in the same statement, only when the move ended here and the proxy is still active.
     */
    static final String END_MOVE_ONLINE = "with done as (" + END_MOVE + """
             returning status)
            insert into outbox_events (id, topic, message_key, payload, traceparent)
            select $4::uuid, $5::text, $6::text, $7::text, $8::text from done where done.status = $9""";
    /** Ends a change's lease ({@code $2}) after its agent refused or did not answer: nothing was stored. */
    static final String END_FINGERPRINT_LEASE =
            "update proxies set fingerprint_until = null where id = $1 and fingerprint_until <= $2";
    /** Why a fingerprint change could not claim the proxy: its owner, status and leases. */
    static final String FINGERPRINT_TARGET =
            "select reseller_id, status, moving_until, fingerprint_until, agent_id, fingerprint from proxies where id = $1";

    private final Mutiny.SessionFactory sessionFactory;
    private final Pool pool;
    private final AgentRouter agents;
    private final ModemAllocator allocator;
    private final ObjectMapper mapper;

    private final Clock clock;
    private final Duration moveLease;

    /** 409 code while a connect of the proxy waits for its agent (docs/api.md, docs/fleet.md "Connect while one runs"). */
    public static final String MOVE_IN_PROGRESS = "connect_in_progress";
    /**
     * 409 code while a fingerprint change of the proxy waits for its agent (docs/api.md, docs/fleet.md "Fingerprint
     * change while one runs").
     */
    public static final String FINGERPRINT_IN_PROGRESS = "fingerprint_in_progress";
    private final Duration fingerprintLease;

    public ProxyControlService(Mutiny.SessionFactory sessionFactory, Pool pool, AgentRouter agents, ModemAllocator allocator,
                               ObjectMapper mapper, Clock clock, CommandConfig commands) {
        this.clock = clock;
        this.mapper = mapper;
        // The longest a connect's commands can take (ack, then the provision result; then the old agent's release),
        // plus the hop to the replica holding the agent's stream: past it the move is over one way or the other, or
        // its replica died (MoveHolds then gives back the place it held).
        this.moveLease = commands.ackTimeout().plus(commands.provisionTimeout())
                .plus(commands.ackTimeout()).plus(commands.releaseTimeout()).plusSeconds(10);
        this.fingerprintLease = commands.ackTimeout().plus(commands.fingerprintTimeout()).plusSeconds(10);
        this.sessionFactory = sessionFactory;
        this.pool = pool;
        this.agents = agents;
        this.allocator = allocator;
    }

    public record FingerprintResult(long proxyId, String fingerprint) {
    }

    public record Connected(String ip, int port, String username, String password, String locationId) {
    }

    /**
     * Sets the OS fingerprint {@code fingerprint} (one of {@link #FINGERPRINTS}) of the reseller's proxy: sent to its
     * agent when the proxy is active (a disconnected proxy gets it when connected again), stored after the agent's ok.
     * One change of a proxy at a time, on any replica: a second change, or a connect, while one waits for its agent is
     * 409 {@value #FINGERPRINT_IN_PROGRESS}; otherwise two changes could reach the agent in one order and the row in the
     * other, and a connect would re-open the listener with the profile it read before the change was stored (docs/fleet.md
     * "Fingerprint change while one runs"). During a connect: 409 {@value #MOVE_IN_PROGRESS}. Errors: 404 not the
     * caller's proxy; 409 a status other than active or disconnected; 503/504 the agent's ({@link CommandErrors}; a change the agent may still carry out is undone there, {@link #reassertFingerprint}).
     */
    public Uni<FingerprintResult> setFingerprint(long resellerId, long proxyId, String fingerprint, String authorization) {
        Fingerprint profile = Fingerprint.valueOf("FINGERPRINT_" + fingerprint.toUpperCase());
        LocalDateTime claimed = now();
        LocalDateTime lease = claimed.plus(fingerprintLease);
        return pool.preparedQuery(CLAIM_FINGERPRINT)
                .execute(Tuple.of(lease, proxyId, resellerId, claimed, ProxyStatus.ACTIVE, ProxyStatus.DISCONNECTED))
                .chain(rows -> {
                    RowIterator<Row> it = rows.iterator();
                    if (!it.hasNext()) {
                        return whyNoFingerprintClaim(resellerId, proxyId, claimed);
                    }
                    Row proxy = it.next();
                    // A disconnected proxy has no listener to tell; it gets the profile when connected again.
                    String agentId = proxy.getString("agent_id");
                    // A change the agent may still carry out (no answer in time) is undone there by the stored profile,
                    // sent while the lease still keeps any other change of this proxy from reaching the agent first
                    Uni<?> applied = ProxyStatus.ACTIVE.equals(proxy.getString("status"))
                            ? agents.command(agentId, AgentCommands.setFingerprint(proxyId, profile), authorization)
                                    .map(ProxyControlService::requireOk)
                                    .onFailure().call(failure -> (CommandErrors.mayHaveRun(failure)
                                                    ? reassertFingerprint(proxyId, agentId, authorization)
                                                    : Uni.createFrom().voidItem())
                                            .chain(() -> pool.preparedQuery(END_FINGERPRINT_LEASE).execute(Tuple.of(proxyId, lease)))
                                            .onFailure().invoke(e -> LOG.warnf("Proxy %d: the fingerprint lease could not be"
                                                    + " ended (it runs out by itself): %s", proxyId, e.toString()))
                                            .onFailure().recoverWithNull())
                                    .onFailure().transform(CommandErrors::toApi)
                            : Uni.createFrom().voidItem();
                    // Committed on its own: the same row write as a transaction around it, two round trips (begin,
                    // commit) fewer on the answer's path (bench/fleet's command round trip).
                    return applied.chain(() -> pool.preparedQuery(SET_FINGERPRINT)
                                    .execute(Tuple.of(fingerprint, now(), proxyId, lease)))
                            .replaceWith(new FingerprintResult(proxyId, fingerprint));
                });
    }

    /** The error for a fingerprint change whose claim found no row: 404, the status's 409, or the lease holding it. */
    private <T> Uni<T> whyNoFingerprintClaim(long resellerId, long proxyId, LocalDateTime now) {
        return pool.preparedQuery(FINGERPRINT_TARGET).execute(Tuple.of(proxyId)).map(rows -> {
            RowIterator<Row> it = rows.iterator();
            Row proxy = it.hasNext() ? it.next() : null;
            if (proxy == null || proxy.getLong("reseller_id") != resellerId) {
                throw ApiException.notFound("Proxy not found");
            }
            requireStatus(proxy.getString("status"), ProxyStatus.ACTIVE, ProxyStatus.DISCONNECTED);
            // During a connect the new listener opens with the profile the move copied: a change now would reach the
            // agent before that listener exists and be lost there, while the row kept it
            refuseWhileMoving(proxyId, proxy.getLocalDateTime("moving_until"), now, "; change the fingerprint once it has finished");
            refuseWhileChangingFingerprint(proxyId, proxy.getLocalDateTime("fingerprint_until"), now,
                    "; change it again once it has finished");
            // The proxy changed between the claim and this read (a connect or a change just ended): nothing was done
            throw ApiException.conflict(FINGERPRINT_IN_PROGRESS, "The proxy changed while this request ran; nothing was"
                    + " changed, try again");
        });
    }

    /**
     * 409 {@value #FINGERPRINT_IN_PROGRESS} while a fingerprint change of proxy {@code proxyId} waits for its agent
     * (lease {@code fingerprintUntil}, V21, still after {@code now}); {@code then}: what the caller may do afterwards.
     */
    private static void refuseWhileChangingFingerprint(long proxyId, LocalDateTime fingerprintUntil, LocalDateTime now, String then) {
        if (fingerprintUntil != null && fingerprintUntil.isAfter(now)) {
            throw ApiException.conflict(FINGERPRINT_IN_PROGRESS, "A fingerprint change of this proxy is still waiting"
                    + " for its modem; GET /v1/reseller/proxies/" + proxyId + " shows the profile it has" + then);
        }
    }

    /**
     * Closes the proxy's port and frees its modem; the paid period keeps running. Answers once the agent
     * closed the port (a fresh-user test found the old port still serving for ~0.3 s after the 200 when the
     * release was fire-and-forget); an agent that cannot be reached closes it when it reconnects
     * (reconciliation releases every proxy it serves that is not active). While a reset of the proxy runs, 409
     * {@code rotation_in_progress}, as for connect: the run would otherwise announce a rotation ({@code proxy.ip_rotated},
     * a 200 "rotated") of a proxy this call had already released (second new-user review, finding 6). While a
     * connect of the proxy waits for its agent, 409 {@value #MOVE_IN_PROGRESS} ({@link #refuseWhileMoving}). An
     * offline proxy can be disconnected too: it gives its place back (its modem may have left for good, and its
     * place then blocked the operator's removal of that modem: new-user review 6).
     */
    public Uni<Void> disconnect(long resellerId, long proxyId, String authorization) {
        return sessionFactory.withTransaction(session -> find(session, resellerId, proxyId, LockMode.PESSIMISTIC_WRITE)
                        .invoke(proxy -> requireStatus(proxy, ProxyStatus.ACTIVE, ProxyStatus.OFFLINE))
                        .invoke(proxy -> refuseWhileMoving(proxy, now(), "; disconnect once it has finished"))
                        .call(proxy -> ProxyRotations.refuseWhileRotating(session, proxyId, now(), "; disconnect once it has finished"))
                        .invoke(proxy -> {
                            proxy.status = ProxyStatus.DISCONNECTED;
                            proxy.updatedAt = now();
                        }))
                .call(proxy -> agents.release(proxy.agentId, proxy.id, proxy.port, authorization))
                .replaceWithVoid();
    }

    private record Placement(String modemId, String agentId, String locationId, String ip, int port,
                             String username, String password, String status) {
        static Placement of(Proxy p) {
            return new Placement(p.modemId, p.agentId, p.locationId, p.ip, p.port, p.username, p.password, p.status);
        }

        void applyTo(Proxy p) {
            p.modemId = modemId;
            p.agentId = agentId;
            p.locationId = locationId;
            p.ip = ip;
            p.port = port;
            p.username = username;
            p.password = password;
            p.status = status;
        }
    }

    /**
     * Moves the proxy onto a free modem in {@code locationId} with fresh credentials. The new listener must
     * be confirmed by its agent before the old one is closed; if it is not, the proxy goes back where it was.
     * While a reset of the proxy runs, 409 {@code rotation_in_progress}: the reset's outcome belongs to the modem it
     * resets. After the move, the proxy's {@code rotation} is null until its next reset ({@link ProxyView#of}).
     * While another connect of the proxy waits for its agent, 409 {@value #MOVE_IN_PROGRESS}: the placement is
     * written (and the row lock let go) before the agent confirms, so without the lease ({@code moving_until}) a
     * second connect moved the proxy again and both answered 200, one with credentials nobody served (third
     * new-user review, finding 1). The answer's credentials are the proxy's afterwards.
     *
     * <p>The place an active proxy leaves (modem slot, agent port) stays booked until the move has ended (V24,
     * {@code move_from_*}): the old listener serves until the new one is confirmed, and on another agent until
     * its release has been answered, which the 200 waits for (as {@code disconnect}'s does: the old credentials no
     * longer work). Before, a purchase placed on the old agent meanwhile got the old port (refused by the agent,
     * refunded) or the old slot, and a refused move's revert overfilled the modem (static review, stop 27, finding 5).
     *
     * <p>An offline proxy can be connected too (new-user review 6: a proxy whose modem its agent stopped announcing
     * was offline for good, and neither its reseller nor the operator could do anything about it); its old place is
     * held and released as an active one's, since its agent may still serve it.
     */
    public Uni<Connected> connect(long resellerId, long proxyId, String locationId, String authorization) {
        return sessionFactory.withSession(session -> session.find(Location.class, locationId))
                .onItem().ifNull().failWith(() -> ApiException.unprocessable("Unknown location_id '" + locationId + "'"))
                .chain(location -> sessionFactory.withTransaction(session ->
                        find(session, resellerId, proxyId, LockMode.PESSIMISTIC_WRITE).chain(proxy -> {
                            requireStatus(proxy, ProxyStatus.ACTIVE, ProxyStatus.OFFLINE, ProxyStatus.DISCONNECTED);
                            refuseWhileMoving(proxy, now(), "; connect once it has finished");
                            // the new listener opens with the row's profile: not while a change of it is unstored
                            refuseWhileChangingFingerprint(proxyId, proxy.fingerprintUntil, now(), "; connect once it has finished");
                            // A disconnected proxy holds no slot: its own modem is as good as any other.
                            String notHere = ProxyStatus.DISCONNECTED.equals(proxy.status) ? null : proxy.modemId;
                            return ProxyRotations.refuseWhileRotating(session, proxyId, now(), "; connect once it has finished")
                                    .chain(() -> allocator.place(session, now(), locationId, notHere))
                                    .map(target -> {
                                        if (target == null) {
                                            // "other": its own modem does not count while it is active there
                                            // (new-user review: "No free modem in NYC" read wrong for a proxy in NYC)
                                            throw ApiException.conflict(notHere != null && locationId.equals(proxy.locationId)
                                                    ? "No other free modem in " + locationId + " right now (the proxy is on"
                                                            + " one there already)"
                                                    : "No free modem in " + locationId + " right now");
                                        }
                                        Placement previous = Placement.of(proxy);
                                        if (holdsAPlace(previous.status())) {
                                            proxy.moveFromModemId = previous.modemId();
                                            proxy.moveFromAgentId = previous.agentId();
                                            proxy.moveFromPort = previous.port();
                                        }
                                        new Placement(target.modemId(), target.agentId(), target.locationId(),
                                                target.publicHost(), target.port(), Credentials.username(),
                                                Credentials.password(), ProxyStatus.ACTIVE).applyTo(proxy);
                                        proxy.updatedAt = now();
                                        proxy.movingUntil = now().plus(moveLease);
                                        return new Move(copyOf(proxy), previous);
                                    });
                        })))
                .chain(move -> agents.command(move.proxy().agentId, AgentCommands.provision(move.proxy()), authorization)
                        .map(ProxyControlService::requireOk)
                        .onFailure().call(failure -> revert(move, CommandErrors.mayHaveRun(failure), authorization))
                        .onFailure().transform(CommandErrors::toApi)
                        .call(ok -> {
                            // Moved within one agent, the agent already swapped the listeners when it opened the
                            // new one; only a proxy that left another agent has an old listener to close there,
                            // and its place is given back once that agent answered (or could not be reached).
                            Placement before = move.previous();
                            if (holdsAPlace(before.status()) && !before.agentId().equals(move.proxy().agentId)) {
                                return agents.release(before.agentId(), move.proxy().id, before.port(), authorization);
                            }
                            return Uni.createFrom().voidItem();
                        })
                        .call(ok -> moveDone(move.proxy(), ProxyStatus.OFFLINE.equals(move.previous().status())))
                        .map(ok -> {
                            Proxy p = move.proxy();
                            return new Connected(p.ip, p.port, p.username, p.password, p.locationId);
                        }));
    }

    private record Move(Proxy proxy, Placement previous) {
    }

    /** Active and offline proxies hold a modem slot and a port, and may have a listener on their agent (V22). */
    private static boolean holdsAPlace(String status) {
        return ProxyStatus.ACTIVE.equals(status) || ProxyStatus.OFFLINE.equals(status);
    }

    /**
     * 409 {@value #MOVE_IN_PROGRESS} while a connect of {@code proxy} waits for its agent (its lease, V20); to call
     * under the proxy's row lock, which the connect's placement held when it set the lease. {@code then}: what the
     * caller may do afterwards, appended to the detail.
     */
    static void refuseWhileMoving(Proxy proxy, LocalDateTime now, String then) {
        refuseWhileMoving(proxy.id, proxy.movingUntil, now, then);
    }

    /** {@link #refuseWhileMoving(Proxy, LocalDateTime, String)} from the proxy's id and {@code moving_until} as read. */
    private static void refuseWhileMoving(long proxyId, LocalDateTime movingUntil, LocalDateTime now, String then) {
        if (movingUntil != null && movingUntil.isAfter(now)) {
            throw ApiException.conflict(MOVE_IN_PROGRESS, "A connect of this proxy is still waiting for its modem;"
                    + " GET /v1/reseller/proxies/" + proxyId + " shows where it is" + then);
        }
    }

    /**
     * The move's agent answered (and the old one released it): its lease ends and the place it left is given back,
     * if the proxy is still where this move put it. Never fails the connect: the move itself succeeded, and a lease
     * this write could not end runs out by itself ({@link MoveHolds} then gives back the place).
     */
    private Uni<Void> moveDone(Proxy moved, boolean cameBackOnline) {
        Uni<Void> done;
        if (!cameBackOnline) {
            done = pool.preparedQuery(END_MOVE).execute(Tuple.of(moved.id, moved.agentId, moved.port)).replaceWithVoid();
        } else {
            // An offline proxy a connect made active is online again: the proxy.online its agent's return would have
            // sent, with the end of the move (FleetFaultsIT's helper: a reseller following status by webhooks saw
            // proxy.offline and then nothing). Not when the row was moved on or is no longer active.
            Outbox.Row event = Outbox.row(mapper, EventEnvelope.of(EventTypes.PROXY_ONLINE, moved.resellerId,
                    new ProxyOnline(moved.id, moved.orderId), clock));
            done = pool.preparedQuery(END_MOVE_ONLINE)
                    .execute(Tuple.tuple().addLong(moved.id).addString(moved.agentId).addInteger(moved.port)
                            .addUUID(event.id()).addString(event.topic()).addString(event.key()).addString(event.payload())
                            .addString(event.traceparent()).addString(ProxyStatus.ACTIVE))
                    .replaceWithVoid();
        }
        return done
                .onFailure().invoke(e -> LOG.warnf("Proxy %d moved, but its move lease could not be ended (it runs out by itself): %s",
                        moved.id, e.toString()))
                .onFailure().recoverWithNull();
    }

    /**
     * Puts the proxy back where it was, if it is still where the move put it (it may have expired or been
     * disconnected meanwhile: then that newer state stands), and gives back the place the move held (the old one,
     * which the proxy takes again). Its old place was held throughout (V24), so the proxy fits there; should the
     * write still fail on a port, the proxy is left disconnected.
     */
    private Uni<Void> revert(Move move, boolean mayHaveRun, String authorization) {
        Proxy moved = move.proxy();
        boolean[] putBack = {false};
        Uni<Void> written = sessionFactory.withTransaction(session -> session.find(Proxy.class, moved.id, LockMode.PESSIMISTIC_WRITE)
                .call(proxy -> oldPlaceFits(session, proxy, move).invoke(fits -> {
                    if (stillWhereMoved(proxy, moved)) {
                        putBack[0] = true;
                        if (fits) {
                            move.previous().applyTo(proxy);
                        } else {
                            LOG.warnf("Proxy %d: its move failed after its lease ran out and its old place was taken"
                                    + " meanwhile; left disconnected (a connect places it again)", moved.id);
                            proxy.status = ProxyStatus.DISCONNECTED;
                        }
                        proxy.updatedAt = now();
                        proxy.movingUntil = null;
                    }
                    if (holdsItsOldPlace(proxy, moved)) {
                        proxy.moveFromModemId = null;
                        proxy.moveFromAgentId = null;
                        proxy.moveFromPort = null;
                        // not put back (ended or disconnected meanwhile): this move's lease ends with it, so the
                        // heartbeat's check may close the old listener and the reseller may act again
                        proxy.movingUntil = null;
                    }
                }))
                .call(session::flush)
                // written to the agent's stream (here, or on the replica holding it: AgentRouter.sendOnly) before this
                // transaction commits, under the row's lock: a connect after this one places the proxy (and sends its own
                // command) only once the kept state is on the stream, so the agent gets the two in that order, whichever
                // replicas they come from (static review, stop 31, finding 1)
                .call(proxy -> mayHaveRun && putBack[0] ? reassertPlace(proxy, move, authorization) : Uni.createFrom().voidItem())
                .replaceWithVoid());
        return written
                .onFailure().recoverWithUni(conflict -> sessionFactory.withTransaction(session -> session
                        .createNativeQuery("""
                                update proxies set status = :disconnected, updated_at = :now, moving_until = null,
                                                   move_from_modem_id = null, move_from_agent_id = null, move_from_port = null
                                where id = :id and status in (:active, :offline) and agent_id = :agent and port = :port""")
                        .setParameter("disconnected", ProxyStatus.DISCONNECTED)
                        .setParameter("now", now())
                        .setParameter("id", moved.id)
                        .setParameter("active", ProxyStatus.ACTIVE)
                        .setParameter("offline", ProxyStatus.OFFLINE)
                        .setParameter("agent", moved.agentId)
                        .setParameter("port", moved.port)
                        .executeUpdate()
                        // left disconnected: no listener of it may stay, wherever the move may have run or not
                        .call(updated -> mayHaveRun && updated > 0 ? releaseEverywhere(moved.id, move, authorization)
                                : Uni.createFrom().voidItem())
                        .replaceWithVoid()))
                .onFailure().invoke(e -> LOG.errorf(e, "Reverting the move of proxy %d failed", moved.id))
                .onFailure().recoverWithNull();
    }

    /**
     * After a move the agent may still carry out (its provision went out, no answer came: {@link CommandErrors#mayHaveRun})
     * and which {@link #revert} undid: the place the proxy has again, sent to its agent (the same listener, port and
     * credentials as before: a no-op where the command never arrived, the way back where it ran and swapped the
     * listener), and a release of the proxy (port 0: whatever listener of it) on the move's agent when that is not the
     * proxy's agent; a proxy left disconnected is released on both agents. Without it a frozen agent that woke up served
     * the proxy on the move's port with credentials no reseller got, while the API showed the old port active (new-user
     * review, stop 30, H1). Completes once every command is on its stream ({@link AgentRouter#sendOnly}); a failure to
     * send is logged, not raised: the revert stands, and the agent's next Hello reconciles it.
     */
    private Uni<Void> reassertPlace(Proxy proxy, Move move, String authorization) {
        Proxy moved = move.proxy();
        if (!holdsAPlace(proxy.status)) {
            return releaseEverywhere(proxy.id, move, authorization);
        }
        Uni<Void> kept = keep(proxy.agentId, AgentCommands.provision(proxy), proxy.id, authorization);
        return proxy.agentId.equals(moved.agentId) ? kept
                : kept.chain(() -> keep(moved.agentId, AgentCommands.release(proxy.id, 0), proxy.id, authorization));
    }

    /** A proxy the revert left without a place: released (port 0) on the move's agent and on the agent it left. */
    private Uni<Void> releaseEverywhere(long proxyId, Move move, String authorization) {
        Uni<Void> onMoved = keep(move.proxy().agentId, AgentCommands.release(proxyId, 0), proxyId, authorization);
        Placement previous = move.previous();
        return holdsAPlace(previous.status()) && !previous.agentId().equals(move.proxy().agentId)
                ? onMoved.chain(() -> keep(previous.agentId(), AgentCommands.release(proxyId, 0), proxyId, authorization))
                : onMoved;
    }

    /** Whether the move's hold of the place it left is still there (not cleared by {@link MoveHolds} past its lease). */
    private static boolean holdsItsOldPlace(Proxy current, Proxy moved) {
        return current != null && moved.moveFromModemId != null && moved.moveFromModemId.equals(current.moveFromModemId)
                && moved.moveFromAgentId.equals(current.moveFromAgentId) && moved.moveFromPort.equals(current.moveFromPort);
    }

    /**
     * Whether a revert may put the proxy back at the place it left: always while the move holds that place; once its
     * lease ran out ({@link MoveHolds} gave the place back: a stall of this replica, or replicas' clocks apart by more
     * than the lease's margin) only when its modem still has a slot ({@code held_slots < capacity}) and its port is
     * still free ({@code port_held}, V24). Before, the revert put it back regardless and overfilled the modem (static
     * review, stop 29, finding 5; a taken port failed the write instead and left the proxy disconnected, as now). The
     * modem's row is locked as a placement locks it, so no placement takes the slot between this read and the write.
     */
    private Uni<Boolean> oldPlaceFits(Mutiny.Session session, Proxy current, Move move) {
        Placement previous = move.previous();
        if (!stillWhereMoved(current, move.proxy()) || !holdsAPlace(previous.status()) || holdsItsOldPlace(current, move.proxy())) {
            return Uni.createFrom().item(true);
        }
        return session.createNativeQuery("""
                        select held_slots(m.id) < m.capacity and not port_held(:agent, :port)
                        from modems m where m.id = :modem for update""", Boolean.class)
                .setParameter("agent", previous.agentId())
                .setParameter("port", previous.port())
                .setParameter("modem", previous.modemId())
                .getSingleResultOrNull()
                .map(Boolean.TRUE::equals);
    }

    private static boolean stillWhereMoved(Proxy current, Proxy moved) {
        // offline counts as there: the liveness sweep marks a proxy offline at the place the move gave it when the new
        // agent falls silent, and the move failing is then the likely case; not putting it back left it offline with
        // credentials its reseller never got, and gave up the old place while the old agent still served it (static
        // review, stop 29, finding 2)
        return current != null && holdsAPlace(current.status)
                && current.agentId.equals(moved.agentId) && current.port == moved.port;
    }

    private Uni<Proxy> find(Mutiny.Session session, long resellerId, long proxyId, LockMode lock) {
        Uni<Proxy> found = lock == null ? session.find(Proxy.class, proxyId) : session.find(Proxy.class, proxyId, lock);
        return found.map(proxy -> {
            if (proxy == null || proxy.resellerId != resellerId) {
                throw ApiException.notFound("Proxy not found");
            }
            return proxy;
        });
    }

    private static void requireStatus(Proxy proxy, String... allowed) {
        requireStatus(proxy.status, allowed);
    }

    private static void requireStatus(String status, String... allowed) {
        if (!List.of(allowed).contains(status)) {
            throw ApiException.conflict("Proxy is " + status + "; this needs it " + String.join(" or ", allowed));
        }
    }

    /** The agent's result if it says ok; otherwise 503 with the agent's error (it refused: nothing was done). */
    private static CommandResult requireOk(CommandResult result) {
        if (!result.getOk()) {
            throw ApiException.unavailable("The modem could not do it: " + result.getError());
        }
        return result;
    }

    /**
     * Writes {@code command}, state the fleet kept after a command it gave up on ({@link CommandErrors#mayHaveRun}), to
     * the agent's stream and completes once it is there ({@link AgentRouter#sendOnly}; {@code timeout_ms} 0, so the agent
     * does not skip it as expired behind a backlog): the agent carries out commands in the order they arrive, so this
     * one, after the other, is the state it ends in. Never fails: one that cannot be sent is logged (the agent's next
     * Hello reconciles it).
     */
    private Uni<Void> keep(String agentId, FleetMessage.Builder command, long proxyId, String authorization) {
        String kind = command.getCommandCase().name();
        LOG.infof("Proxy %d: a command its agent %s may still carry out was given up on; sending it the kept state (%s)",
                proxyId, agentId, kind);
        return agents.sendOnly(agentId, command, authorization)
                .onFailure().invoke(failure -> LOG.warnf("Proxy %d: the kept state (%s) could not be sent to agent %s: %s;"
                        + " its next Hello reconciles it", proxyId, kind, agentId, failure.getMessage()))
                .onFailure().recoverWithNull();
    }

    /**
     * After a fingerprint change the agent may still carry out: the stored profile, to the proxy's agent while it is
     * active there (a disconnected proxy's listener is closed; a connect opens it with the stored profile).
     */
    private Uni<Void> reassertFingerprint(long proxyId, String agentId, String authorization) {
        return pool.preparedQuery(FINGERPRINT_TARGET).execute(Tuple.of(proxyId))
                .chain(rows -> {
                    RowIterator<Row> it = rows.iterator();
                    Row row = it.hasNext() ? it.next() : null;
                    if (row == null || !ProxyStatus.ACTIVE.equals(row.getString("status")) || !agentId.equals(row.getString("agent_id"))) {
                        return Uni.createFrom().voidItem();
                    }
                    // on the stream before the caller ends the lease: no later change reaches the agent first
                    return keep(agentId, AgentCommands.setFingerprint(proxyId, AgentCommands.fingerprint(row.getString("fingerprint"))),
                            proxyId, authorization);
                });
    }

    private static Proxy copyOf(Proxy p) {
        Proxy copy = new Proxy();
        copy.id = p.id;
        copy.resellerId = p.resellerId;
        copy.orderId = p.orderId; // proxy.online names it when a connect brings an offline proxy back
        copy.modemId = p.modemId;
        copy.agentId = p.agentId;
        copy.locationId = p.locationId;
        copy.ip = p.ip;
        copy.port = p.port;
        copy.username = p.username;
        copy.password = p.password;
        copy.status = p.status;
        copy.fingerprint = p.fingerprint; // the connect re-opens the listener with it
        copy.moveFromModemId = p.moveFromModemId;
        copy.moveFromAgentId = p.moveFromAgentId;
        copy.moveFromPort = p.moveFromPort;
        return copy;
    }

    private LocalDateTime now() {
        return ClockProducer.utcNow(clock);
    }
}
