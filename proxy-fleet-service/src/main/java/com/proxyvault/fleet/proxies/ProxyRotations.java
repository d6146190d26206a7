package com.proxyvault.fleet.proxies;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.proxyvault.contracts.agent.v1.CommandResult;
import com.proxyvault.contracts.agent.v1.FleetMessage;
import com.proxyvault.contracts.agent.v1.ResetMode;
import com.proxyvault.contracts.events.EventEnvelope;
import com.proxyvault.contracts.events.EventTypes;
import com.proxyvault.contracts.events.ProxyIpRotated;
import com.proxyvault.contracts.events.ProxyRotationFailed;
import com.proxyvault.fleet.agents.AgentRouter;
import com.proxyvault.fleet.agents.CommandConfig;
import com.proxyvault.fleet.agents.CommandErrors;
import com.proxyvault.fleet.agents.CommandTimeout;
import com.proxyvault.fleet.agents.FleetReplicas;
import com.proxyvault.fleet.agents.ReplicaConfig;
import com.proxyvault.fleet.provisioning.AgentCommands;
import com.proxyvault.platform.http.ApiException;
import com.proxyvault.platform.http.ErrorCodes;
import com.proxyvault.platform.outbox.Outbox;
import com.proxyvault.platform.time.ClockProducer;
import com.proxyvault.platform.vertx.VertxContexts;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.hibernate.LockMode;
import org.hibernate.reactive.mutiny.Mutiny;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code POST /proxies/{id}/reset {"mode"}}: a <b>verified rotation</b> (issue 8 item 5; docs/fleet.md
 * "Verified rotation" and "Long resets: 202"). The exit IP the fleet last knew for the proxy's modem is the old
 * one; the modem is reset and the IP it then reports must differ. Unchanged (or none reported) → the same reset
 * again, up to {@code attempts-per-mode}; then a fast reset escalates to a hard one. The new exit IP, the
 * rotation's outcome and {@code proxy.ip_rotated} are written in one transaction, the event for every proxy active on
 * the modem, each to its own reseller (docs/fleet.md "Shared modem: every proxy hears of its new IP").
 *
 * <p>The answer waits at most {@code sync-wait} (8 s): finished by then → 200 {@link ResetResult} (or the
 * error); still running → 202 {@link ResetAccepted} and the rotation goes on in the background on this
 * replica, its outcome announced by {@code proxy.ip_rotated} and shown on {@code GET /proxies/{id}}
 * ({@code rotation}). The run is claimed in {@code proxy_rotations} under the proxy's row lock with the
 * cooldowns, so a second reset while one runs is 409 {@value #IN_PROGRESS} on any replica, and a reset inside
 * the cooldowns ({@link ResetConfig}) 429 {@code reset_cooldown} with {@code Retry-After}. A proxy that is not
 * active → 409. The cooldowns are the <b>modem's</b> (fleet migration V28; docs/fleet.md "Cooldowns per modem"):
 * several proxies can share a modem (its capacity), and a reset of any of them changes every one's exit IP, so
 * the claim moves the marks on the modem's row, locked after the proxy's, and the run's end moves them again, to
 * when the modem answered or the fleet gave up on it (docs/fleet.md "Cooldowns count from the reset's end"). A run gives its cooldown back only when
 * its reset certainly did not run: no command went out (no stream anywhere) or the agent refused it ({@code ok=false}
 * without {@code attempted}); one the agent may still carry out (no ack, no result, the stream or the hop failed:
 * {@link CommandErrors#mayHaveRun}) keeps it (new-user review 32, M3a), and so does one the modem's driver started and
 * failed ({@code ok=false, attempted=true}: the modem may have been reset and not come back) (docs/fleet.md "Cooldown
 * given back").
 */
@ApplicationScoped
public class ProxyRotations {

    private static final Logger LOG = Logger.getLogger(ProxyRotations.class);

    /** 409: a reset of this proxy is running (it answered 202 or is about to). */
    public static final String IN_PROGRESS = "rotation_in_progress";
    /** A run whose replica stopped before it finished (seen on GET as failed). */
    public static final String ROTATION_ABANDONED = "rotation_abandoned";
    public static final String ROTATING = "rotating";
    public static final String ROTATED = "rotated";
    public static final String FAILED = "failed";

    private final Mutiny.SessionFactory sessionFactory;
    private final AgentRouter agents;
    private final VertxContexts contexts;
    private final Clock clock;
    private final ObjectMapper mapper;
    private final ResetConfig resets;
    private final FleetReplicas replicas;
    /** How long after its start a run still {@code rotating} counts as abandoned: every attempt timing out, and then some. */
    private final Duration giveUpAfter;

    public ProxyRotations(Mutiny.SessionFactory sessionFactory, AgentRouter agents, VertxContexts contexts, Clock clock,
                          ObjectMapper mapper, ResetConfig resets, CommandConfig commands, ReplicaConfig replica,
                          FleetReplicas replicas) {
        this.sessionFactory = sessionFactory;
        this.agents = agents;
        this.contexts = contexts;
        this.clock = clock;
        this.mapper = mapper;
        this.resets = resets;
        this.replicas = replicas;
        Duration perAttempt = commands.fastResetTimeout().plus(commands.hardResetTimeout())
                .plus(replica.forwardMargin().multipliedBy(2));
        this.giveUpAfter = perAttempt.multipliedBy(Math.max(1, resets.attemptsPerMode())).plusSeconds(30);
    }

    /**
     * The 200 answer: the seed's {@code proxy_id}, {@code mode} (as asked) and {@code exit_ip} (the new one), plus
     * {@code old_ip}, {@code new_ip}, {@code applied_mode}, {@code attempts} and {@code status} ({@code rotated}).
     */
    public record ResetResult(long proxyId, String mode, String exitIp, String oldIp, String newIp, String appliedMode,
                              int attempts, String status) {
    }

    /**
     * The 202 answer: the rotation is still running ({@code status} {@code rotating}) from {@code old_ip}, since
     * {@code started_at}; {@code proxy.ip_rotated} and {@code GET /proxies/{id}} ({@code rotation}) tell the outcome.
     */
    public record ResetAccepted(long proxyId, String mode, String status, String oldIp, LocalDateTime startedAt) {
    }

    /** Exactly one of the two: {@code done} (200) or {@code accepted} (202). */
    public record ResetAnswer(ResetResult done, ResetAccepted accepted) {
    }

    /** Resets the proxy's modem and verifies the new exit IP; see the class comment for the answers. */
    public Uni<ResetAnswer> reset(long resellerId, long proxyId, String mode, String authorization) {
        boolean hard = "hard".equals(mode);
        LocalDateTime now = now();
        String rotationId = UUID.randomUUID().toString();
        return sessionFactory.withTransaction(session -> session.find(Proxy.class, proxyId, LockMode.PESSIMISTIC_WRITE)
                        .chain(proxy -> {
                            if (proxy == null || proxy.resellerId != resellerId) {
                                throw ApiException.notFound("Proxy not found");
                            }
                            if (!ProxyStatus.ACTIVE.equals(proxy.status)) {
                                throw ApiException.conflict("Proxy is " + proxy.status + "; this needs it " + ProxyStatus.ACTIVE);
                            }
                            // a move in flight: the modem this run would reset may not be the proxy's in a moment
                            ProxyControlService.refuseWhileMoving(proxy, now, "; reset once it has finished");
                            return refuseWhileRotating(session, proxyId, now, "")
                                    .chain(() -> claim(session, proxy, hard, mode, now, rotationId));
                        }))
                .map(rotation -> {
                    // The run is subscribed on its own context and not tied to this request: answering 202 does not stop it.
                    CompletableFuture<Rotated> run = contexts.onNewContext(() -> run(rotation, authorization))
                            .subscribeAsCompletionStage();
                    return new Started(rotation, run);
                })
                .chain(started -> outcome(started, proxyId, mode)
                        .ifNoItem().after(resets.syncWait()).recoverWithUni(() -> {
                            if (!started.rotation().answer().compareAndSet(PENDING, ACCEPTED)) {
                                // the run has just failed untouched and claimed the synchronous answer: give it
                                return outcome(started, proxyId, mode);
                            }
                            LOG.infof("Proxy %d: %s reset still running after %d ms, answering 202", proxyId, mode,
                                    resets.syncWait().toMillis());
                            return Uni.createFrom().item(new ResetAnswer(null,
                                    new ResetAccepted(proxyId, mode, ROTATING, started.rotation().oldIp(), now)));
                        }));
    }

    /**
     * 409 {@value #IN_PROGRESS} while a run of this proxy is {@code rotating} (and not past its give-up time); to call
     * under the proxy's row lock, which the claim of a run holds too. A reset refuses a second run; a connect refuses
     * to move the proxy off the modem a run is resetting, whose outcome ({@code proxy.ip_rotated}, the exit IP)
     * would then describe a modem the proxy has left. {@code then}: what the caller may do afterwards, appended to
     * the detail.
     */
    static Uni<Void> refuseWhileRotating(Mutiny.Session session, long proxyId, LocalDateTime now, String then) {
        return session.createNativeQuery("""
                        select count(*) from proxy_rotations
                        where proxy_id = :id and status = :rotating and give_up_at > :now""", Long.class)
                .setParameter("id", proxyId).setParameter("rotating", ROTATING).setParameter("now", now)
                .getSingleResult()
                .invoke(running -> {
                    if (running > 0) {
                        throw ApiException.conflict(IN_PROGRESS, "A reset of this proxy is still running;"
                                + " GET /v1/reseller/proxies/" + proxyId + " shows its outcome (rotation)" + then);
                    }
                })
                .replaceWithVoid();
    }

    /** The run's outcome as the 200 answer, or its failure as the error answer. */
    private Uni<ResetAnswer> outcome(Started started, long proxyId, String mode) {
        return Uni.createFrom().completionStage(started.run().copy()) // a copy: the timeout must not cancel the run
                .onFailure(CompletionException.class).transform(e -> e.getCause() == null ? e : e.getCause())
                .map(outcome -> new ResetAnswer(new ResetResult(proxyId, mode, outcome.newIp(), started.rotation().oldIp(),
                        outcome.newIp(), modeName(outcome.mode()), outcome.attempts(), ROTATED), null));
    }

    /** {@link Rotation#answer()}: not decided yet, the caller gets the run's error itself, the caller got 202. */
    private static final int PENDING = 0;
    private static final int ERROR_ANSWERED = 1;
    private static final int ACCEPTED = 2;

    private record Started(Rotation rotation, CompletableFuture<Rotated> run) {
    }

    /**
     * A claimed run: the proxy as it was, when it was claimed ({@code startedAt}, the modem's new cooldown mark until the run ends and moves it to then), the
     * exit IP before, whether a hard reset may be tried (and when it could), and what happened so far ({@code attempts};
     * {@code touched}: the agent acked or answered a command, or its stream or hop failed once it was sent, which decides
     * whether a failure is announced; {@code mayHaveReset}: a reset may have run on the modem, an ok, an attempted
     * failure or a command given up on, which decides the cooldown; {@code hardMayHaveReset}: the same for a hard one;
     * {@code answer}: which answer the caller gets, {@link #PENDING} until the 202 or an untouched failure claims it).
     */
    private record Rotation(Proxy proxy, String rotationId, LocalDateTime startedAt, String oldIp, boolean hard,
                            boolean hardAllowed, Duration hardWait, AtomicInteger attempts, AtomicBoolean touched,
                            AtomicBoolean mayHaveReset, AtomicBoolean hardMayHaveReset, AtomicInteger answer) {
    }

    private record Rotated(String newIp, ResetMode mode, int attempts) {
    }

    /** The modem's exit IP and cooldown marks as {@link #lockModem} read them. */
    private record ModemMarks(String exitIp, LocalDateTime lastResetAt, LocalDateTime lastHardResetAt) {
    }

    /**
     * The proxy's modem's exit IP and cooldown marks, its row locked until the claim's transaction ends: two resets
     * through two proxies of one modem take it in turn, and the second sees the marks the first moved. Taken after
     * the proxy's row lock, the order in which a connect's placement and the place bookkeeping (V16) lock the two;
     * {@code no key update}, so placements' foreign-key checks on the modem do not wait for it.
     */
    private static Uni<ModemMarks> lockModem(Mutiny.Session session, String modemId) {
        return session.createNativeQuery("""
                        select exit_ip, last_reset_at, last_hard_reset_at from modems where id = :modem
                        for no key update""", Object[].class)
                .setParameter("modem", modemId).getSingleResult()
                .map(row -> new ModemMarks((String) row[0], (LocalDateTime) row[1], (LocalDateTime) row[2]));
    }

    /**
     * The modem's cooldowns checked and moved, the run recorded as rotating (with the marks it replaced): under the
     * proxy's and the modem's row locks ({@link #lockModem}). Inside a cooldown: 429 {@code reset_cooldown} with
     * {@code Retry-After}, named by the cooldown that holds it back.
     */
    private Uni<Rotation> claim(Mutiny.Session session, Proxy proxy, boolean hard, String mode, LocalDateTime now, String rotationId) {
        return lockModem(session, proxy.modemId).chain(modem -> {
            Duration wait = cooldownLeft(modem.lastResetAt(), modem.lastHardResetAt(), hard, now);
            if (!wait.isZero()) {
                // Named by the cooldown that holds it back: the hard one only when it is the longer wait (a hard reset
                // right after a fast one waits out the cooldown between any two resets; new-user review)
                boolean hardCooldown = hard && wait.equals(remaining(modem.lastHardResetAt(), resets.hardCooldown(), now))
                        && !wait.equals(remaining(modem.lastResetAt(), resets.fastCooldown(), now));
                throw ApiException.tooManyRequests(ErrorCodes.RESET_COOLDOWN, (hardCooldown
                        ? "A hard reset of this proxy's modem is possible again in "
                        : "This proxy's modem was reset moments ago: another reset is possible in ")
                        + seconds(wait) + " s").retryAfter(wait);
            }
            // an escalation to hard only waits for the hard cooldown (this reset is the fast one)
            Duration hardWait = hard ? Duration.ZERO : remaining(modem.lastHardResetAt(), resets.hardCooldown(), now);
            // The run's row first (it copies the modem's marks as they were, to give back), then the marks move. An exit
            // IP the fleet never knew (a Hello without one, stored empty) is the old IP null, as the API and the events say it.
            return session.createNativeQuery("""
                            insert into proxy_rotations (proxy_id, rotation_id, status, mode, modem_id, old_ip, replica_id,
                                                         started_at, give_up_at, prev_reset_at, prev_hard_reset_at)
                            select :id, :rotation, :rotating, :mode, m.id, nullif(m.exit_ip, ''), :replica, :now, :giveUp,
                                   m.last_reset_at, m.last_hard_reset_at
                            from modems m where m.id = :modem
                            on conflict (proxy_id) do update set rotation_id = excluded.rotation_id, status = excluded.status,
                                mode = excluded.mode, modem_id = excluded.modem_id, applied_mode = null, old_ip = excluded.old_ip,
                                new_ip = null, attempts = 0,
                                error_code = null, error_detail = null, replica_id = excluded.replica_id,
                                started_at = excluded.started_at, give_up_at = excluded.give_up_at, finished_at = null,
                                prev_reset_at = excluded.prev_reset_at, prev_hard_reset_at = excluded.prev_hard_reset_at""")
                    .setParameter("id", proxy.id).setParameter("rotation", rotationId).setParameter("rotating", ROTATING)
                    .setParameter("mode", mode).setParameter("modem", proxy.modemId)
                    .setParameter("replica", replicas.id()).setParameter("now", now).setParameter("giveUp", now.plus(giveUpAfter))
                    .executeUpdate()
                    .chain(() -> session.createNativeQuery(hard
                                    ? "update modems set last_reset_at = :now, last_hard_reset_at = :now where id = :modem"
                                    : "update modems set last_reset_at = :now where id = :modem")
                            .setParameter("now", now).setParameter("modem", proxy.modemId).executeUpdate())
                    .map(moved -> new Rotation(copyOf(proxy), rotationId, now, knownIp(modem.exitIp()), hard, hardWait.isZero(), hardWait,
                            new AtomicInteger(), new AtomicBoolean(), new AtomicBoolean(), new AtomicBoolean(),
                            new AtomicInteger(PENDING)));
        });
    }

    /** The whole run, then its outcome written (success or failure); fails as the synchronous answer would. */
    private Uni<Rotated> run(Rotation rotation, String authorization) {
        ResetMode first = rotation.hard() ? ResetMode.RESET_MODE_HARD : ResetMode.RESET_MODE_FAST;
        // The outcome is written on a context of its own: the agent's answer (or a timer) completes the rotation
        // on whatever thread it arrived, not on a context Hibernate Reactive may use.
        return rotate(rotation, first, 1, authorization)
                .call(outcome -> contexts.onNewContext(() -> recordRotation(rotation, outcome)))
                .onFailure().call(failure -> contexts.onNewContext(() -> recordFailure(rotation, failure)));
    }

    private Uni<Rotated> rotate(Rotation rotation, ResetMode mode, int attemptInMode, String authorization) {
        return command(rotation, AgentCommands.resetIp(rotation.proxy(), mode), authorization).chain(result -> {
            int attempts = rotation.attempts().get();
            String reported = result.getExitIp();
            if (reported != null && !reported.isBlank() && !reported.equals(rotation.oldIp())) {
                return Uni.createFrom().item(new Rotated(reported, mode, attempts));
            }
            LOG.warnf("Proxy %d: %s reset %d reported exit IP %s, the one it had: %s", rotation.proxy().id,
                    modeName(mode), attemptInMode, reported, attemptInMode < resets.attemptsPerMode() ? "trying again"
                            : mode == ResetMode.RESET_MODE_FAST && rotation.hardAllowed() ? "escalating to a hard reset" : "giving up");
            if (attemptInMode < resets.attemptsPerMode()) {
                return stillOnItsModem(rotation).chain(() -> rotate(rotation, mode, attemptInMode + 1, authorization));
            }
            if (mode == ResetMode.RESET_MODE_FAST && rotation.hardAllowed()) {
                return stillOnItsModem(rotation).chain(() -> rotate(rotation, ResetMode.RESET_MODE_HARD, 1, authorization));
            }
            ApiException failed = ApiException.unavailable(ErrorCodes.ROTATION_FAILED, "The exit IP did not change after "
                    + attempts + " resets (" + (rotation.oldIp() == null ? "none reported" : rotation.oldIp()) + ")"
                    + (rotation.hardAllowed() ? ""
                    : ": a hard reset is possible once its cooldown is over"));
            return Uni.createFrom().failure(rotation.hardAllowed() ? failed : failed.retryAfter(rotation.hardWait()));
        });
    }

    /**
     * Before another attempt: the proxy must still be active on the modem this run resets. A run lasts up to minutes
     * and the row is not locked meanwhile, so the proxy may have expired (its modem then given to another reseller's
     * proxy, whose IP this run would keep changing) or been taken offline: the run stops there, as a failure of this
     * run (static review, stop 27, finding 6).
     */
    private Uni<Void> stillOnItsModem(Rotation rotation) {
        Proxy proxy = rotation.proxy();
        return contexts.onNewContext(() -> sessionFactory.withSession(session -> session.createNativeQuery(
                        "select count(*) from proxies where id = :id and status = :active and modem_id = :modem", Long.class)
                .setParameter("id", proxy.id).setParameter("active", ProxyStatus.ACTIVE).setParameter("modem", proxy.modemId)
                .getSingleResult()))
                .map(n -> {
                    if (n == 0) {
                        throw ApiException.conflict("The proxy ended, moved or went offline while it was being reset: the"
                                + " reset stopped after " + rotation.attempts().get() + " attempts");
                    }
                    return null;
                });
    }

    /**
     * One ResetIp to the modem's agent, wherever its stream is (forwarded with the caller's token); ok only. The agent
     * was reached ({@code touched}) unless the command was not acknowledged or no stream took it. A reset may have run
     * ({@code mayHaveReset}; {@code hardMayHaveReset} too when this one is hard) after an ok, after a failure the modem's
     * driver answered ({@code ok=false, attempted=true}: it started the reset, and a modem that "did not come back" may
     * have been reset), and after a command given up on ({@link CommandErrors#mayHaveRun}: no ack, no result, the stream
     * or the hop failed), which a frozen agent still carries out when it wakes (new-user review 32, M3a). It did not
     * when no stream took it or the agent refused it ({@code ok=false} without {@code attempted}; an agent built before
     * that field says so of every failure). A command given up on fails as {@link #mayStillRun}, an attempted failure as
     * {@link #failedMidReset}, a refusal as 503 "The modem could not do it: …".
     */
    private Uni<CommandResult> command(Rotation rotation, FleetMessage.Builder command, String authorization) {
        boolean hard = command.getResetIp().getMode() == ResetMode.RESET_MODE_HARD;
        return agents.command(rotation.proxy().agentId, command, authorization)
                .onItemOrFailure().invoke((result, failure) -> {
                    boolean unreached = failure instanceof AgentRouter.NotHeld
                            || failure instanceof CommandTimeout timeout && timeout.stage() == CommandTimeout.Stage.ACK;
                    if (!unreached) {
                        rotation.touched().set(true);
                    }
                    if (failure == null ? result.getOk() || result.getAttempted() : CommandErrors.mayHaveRun(failure)) {
                        rotation.mayHaveReset().set(true);
                        if (hard) {
                            rotation.hardMayHaveReset().set(true);
                        }
                    }
                })
                .onFailure().transform(failure -> CommandErrors.mayHaveRun(failure) ? mayStillRun(rotation, failure)
                        : CommandErrors.toApi(failure))
                .map(result -> {
                    rotation.attempts().incrementAndGet(); // a reset the modem answered, whatever it said
                    if (!result.getOk()) {
                        throw result.getAttempted() ? failedMidReset(rotation, result)
                                : ApiException.unavailable("The modem could not do it: " + result.getError());
                    }
                    return result;
                });
    }

    /**
     * The error of a reset given up on that the agent may still carry out ({@link CommandErrors#mayHaveRun}): the code
     * and status of {@link CommandErrors#toApi} (503 {@value CommandErrors#NOT_ACKNOWLEDGED}, 504
     * {@value CommandErrors#TIMED_OUT}, 503 {@code service_unavailable}), but not its "nothing was changed, try again":
     * the run keeps its cooldown, so the detail and {@code Retry-After} say when the modem may be reset again in the
     * mode asked for (docs/fleet.md "Cooldown given back"): a hard one counted from now, where {@link #recordFailure}
     * moves the hard mark of a hard reset that may have run.
     */
    private ApiException mayStillRun(Rotation rotation, Throwable failure) {
        ApiException error = CommandErrors.toApi(failure);
        String what = switch (error.code()) {
            case CommandErrors.NOT_ACKNOWLEDGED -> "The proxy's agent did not acknowledge the reset in time; it may still carry it out";
            case CommandErrors.TIMED_OUT -> "The proxy's modem did not finish the reset in time; it may still finish it";
            default -> "The proxy's modem did not answer; the reset may still run";
        };
        return keptCooldown(rotation, error.status(), error.code(), what, " (the exit IP then changes by itself); try again");
    }

    /**
     * The error of a reset the modem's driver started and failed ({@code ok=false, attempted=true}: "did not come back"):
     * 503 {@code service_unavailable} as a refusal, with the agent's error, but the run keeps its cooldown, so the detail
     * and {@code Retry-After} say when the modem may be reset again, as {@link #mayStillRun} does (docs/fleet.md
     * "Cooldown given back"): a reseller told "try again" would be refused 429 by the cooldown this reset holds.
     */
    private ApiException failedMidReset(Rotation rotation, CommandResult result) {
        return keptCooldown(rotation, 503, ErrorCodes.SERVICE_UNAVAILABLE, "The modem could not do it: " + result.getError()
                + "; it had started the reset", " (the exit IP may have changed); try again");
    }

    /**
     * A failed reset's error when the run keeps its cooldown: {@code what} happened, then when the modem may be reset
     * again in the mode asked for, with {@code Retry-After} counted from now for the resets that may have run (any: the
     * fast cooldown; a hard one: the hard cooldown too), as {@link #cooldownAfterFailure} moves the modem's marks;
     * with cooldowns of 0 s, {@code what} and {@code noWait}.
     */
    private ApiException keptCooldown(Rotation rotation, int status, String code, String what, String noWait) {
        LocalDateTime now = now();
        Duration wait = cooldownLeft(rotation.mayHaveReset().get() ? now : rotation.startedAt(),
                rotation.hardMayHaveReset().get() ? now : rotation.startedAt(), rotation.hard(), now);
        if (wait.isZero()) {
            return new ApiException(status, code, what + noWait);
        }
        return new ApiException(status, code, what + ", so it counts as a reset of the modem: another "
                + (rotation.hard() ? "hard reset" : "reset") + " is possible in " + seconds(wait) + " s").retryAfter(wait);
    }

    /**
     * The new exit IP on the modem, the modem's cooldown marks moved to now (the reset's end: the fast one always, the
     * hard one too if a hard reset did it, an escalation's too), the run's outcome and proxy.ip_rotated: one transaction.
     * The event goes to the proxy that asked ({@code trigger} {@value ProxyIpRotated#RESET}) and to every other proxy
     * active on that modem, each to its own reseller ({@value ProxyIpRotated#MODEM_RESET}, never naming the proxy that
     * asked: {@link #othersOnTheModem}); docs/fleet.md "Shared modem: every proxy hears of its new IP".
     */
    private Uni<Void> recordRotation(Rotation rotation, Rotated outcome) {
        Proxy proxy = rotation.proxy();
        LocalDateTime now = now();
        String mode = modeName(outcome.mode());
        // The marks move to the reset's end, not its start (which the claim wrote to keep two runs apart): a 2 min hard
        // reset must not end with its fast cooldown already over (new-user review, L5). greatest: a later mark (another
        // replica's run on this modem, a clock ahead) is not moved back. The modem's row first: two runs recording a
        // reset of one modem (a joined one, "Cooldowns per modem") take it in turn, so the second sees the first's
        // outcome when it picks whom to tell.
        return sessionFactory.withTransaction(session -> session
                        .createNativeQuery("update modems set exit_ip = :ip, updated_at = :now, "
                                + cooldownMarksToNow(outcome.mode() == ResetMode.RESET_MODE_HARD) + " where id = :modem")
                        .setParameter("ip", outcome.newIp())
                        .setParameter("now", now)
                        .setParameter("modem", proxy.modemId)
                        .executeUpdate()
                        .chain(() -> session.createNativeQuery("""
                                        update proxy_rotations set status = :rotated, applied_mode = :applied, new_ip = :ip,
                                            attempts = :attempts, finished_at = :now
                                        where proxy_id = :id and rotation_id = :rotation""")
                                .setParameter("rotated", ROTATED).setParameter("applied", mode)
                                .setParameter("ip", outcome.newIp()).setParameter("attempts", outcome.attempts())
                                .setParameter("now", now).setParameter("id", proxy.id).setParameter("rotation", rotation.rotationId())
                                .executeUpdate())
                        // announced only while the proxy is still active on the modem that rotated: an expired
                        // proxy's run that finished after its modem went to another reseller announces nothing
                        .chain(() -> session.createNativeQuery("""
                                        select count(*) from proxies where id = :id and status = :active and modem_id = :modem""",
                                        Long.class)
                                .setParameter("id", proxy.id).setParameter("active", ProxyStatus.ACTIVE)
                                .setParameter("modem", proxy.modemId).getSingleResult())
                        .chain(still -> still == 0 ? Uni.createFrom().voidItem()
                                : Outbox.append(session, mapper, EventEnvelope.of(EventTypes.PROXY_IP_ROTATED, proxy.resellerId,
                                        new ProxyIpRotated(proxy.id, proxy.orderId, knownIp(rotation.oldIp()), outcome.newIp(),
                                                mode, outcome.attempts(), ProxyIpRotated.RESET), clock)))
                        .chain(() -> othersOnTheModem(session, rotation, outcome.newIp(), now))
                        .chain(others -> Multi.createFrom().iterable(others)
                                .onItem().transformToUniAndConcatenate(other -> Outbox.append(session, mapper, EventEnvelope.of(
                                        EventTypes.PROXY_IP_ROTATED, ((Number) other[1]).longValue(),
                                        new ProxyIpRotated(((Number) other[0]).longValue(), ((Number) other[2]).longValue(),
                                                knownIp(rotation.oldIp()), outcome.newIp(), mode, outcome.attempts(),
                                                ProxyIpRotated.MODEM_RESET), clock)).replaceWith(true))
                                .collect().last()))
                .replaceWithVoid();
    }

    /**
     * The other proxies whose exit IP this run's reset changed and which are not told by a run of their own:
     * {@code (id, reseller_id, order_id)} rows of the proxies active on the run's modem but the run's own, less those
     * with a run of their own on that modem still {@code rotating} (the agent joins a reset to the one in flight on
     * the modem, "Cooldowns per modem": that run announces the same new IP to them as their own reset); and none at all
     * when another proxy's run on it already recorded this new IP since this run started: that is the joined reset,
     * and that run told every proxy but those with a run of their own, this one's included (before, a third proxy on
     * the modem heard it once per joined run). To call after the modem's row was updated (locked) in the same
     * transaction.
     */
    private static Uni<List<Object[]>> othersOnTheModem(Mutiny.Session session, Rotation rotation, String newIp,
                                                       LocalDateTime now) {
        return session.createNativeQuery("""
                        select p.id, p.reseller_id, p.order_id from proxies p
                        where p.modem_id = :modem and p.status = :active and p.id <> :id
                          and not exists (select 1 from proxy_rotations r
                                          where r.proxy_id = p.id and r.modem_id = :modem
                                            and r.status = :rotating and r.give_up_at > :now)
                          and not exists (select 1 from proxy_rotations j
                                          where j.modem_id = :modem and j.proxy_id <> :id and j.status = :rotated
                                            and j.new_ip = :ip and j.finished_at >= :started)
                        order by p.id""", Object[].class)
                .setParameter("modem", rotation.proxy().modemId).setParameter("active", ProxyStatus.ACTIVE)
                .setParameter("id", rotation.proxy().id).setParameter("rotating", ROTATING).setParameter("now", now)
                .setParameter("rotated", ROTATED).setParameter("ip", newIp).setParameter("started", rotation.startedAt())
                .getResultList();
    }

    /**
     * The run failed: recorded as {@code failed} with the code and detail the error answer has, and announced as
     * {@code proxy.rotation_failed} (mode as asked, old IP, the detail as reason, the code) in the same transaction,
     * once per run (not when a newer run replaced this one's row). Unless another proxy's verified reset changed the
     * modem's IP meanwhile and left this proxy to this run ({@link #rotatedMeanwhile}): then {@code proxy.ip_rotated}
     * of that reset instead, whoever got which answer, since the proxy's exit IP did change; the run itself stays
     * {@code failed}, as its answer said. The modem's cooldown marks the run claimed go back
     * to what they were (unless a newer run moved them) only when no reset can have run ({@code mayHaveReset}:
     * nothing went out, or the agent refused, {@code ok=false} without {@code attempted}); a reset that may have run (an
     * ok, a driver's failure with {@code attempted}, a command given up on) keeps them and moves them to now, when the
     * fleet gave up on it (the fast mark; the hard one too for a hard reset, an escalation's too), as a reset that
     * changed the IP moves them to its end. Never fails itself (the original
     * failure is what the caller sees). The event goes out when a command reached the modem (the caller got 202 or
     * the error itself: a 202's failure would otherwise only show on {@code GET}), and when the caller got 202. It
     * does not when no command reached the modem and the caller gets the error itself (503 agent not reachable or
     * not acknowledging: "nothing was written, retry", docs/api.md): nothing happened to the proxy to announce, and
     * the error answer already said so.
     */
    private Uni<Void> recordFailure(Rotation rotation, Throwable failure) {
        ApiException error = CommandErrors.toApi(failure);
        boolean announce = rotation.touched().get() || !rotation.answer().compareAndSet(PENDING, ERROR_ANSWERED);
        long proxyId = rotation.proxy().id;
        LOG.warnf("Proxy %d: reset failed after %d attempts: %s (%s)", proxyId, rotation.attempts().get(), error.detail(), error.code());
        LocalDateTime now = now();
        return sessionFactory.withTransaction(session -> session.createNativeQuery("""
                                update proxy_rotations set status = :failed, error_code = :code, error_detail = :detail,
                                    attempts = :attempts, finished_at = :now
                                where proxy_id = :id and rotation_id = :rotation""")
                        .setParameter("failed", FAILED).setParameter("code", error.code()).setParameter("detail", error.detail())
                        .setParameter("attempts", rotation.attempts().get()).setParameter("now", now)
                        .setParameter("id", proxyId).setParameter("rotation", rotation.rotationId())
                        .executeUpdate()
                        .chain(updated -> updated == 0 ? Uni.createFrom().voidItem() : rotatedMeanwhile(session, rotation)
                                .chain(meanwhile -> meanwhile != null
                                        // the modem's IP changed during this run, by another proxy's verified reset that
                                        // left this proxy to this run: the news it would have had from that run
                                        ? Outbox.append(session, mapper, EventEnvelope.of(EventTypes.PROXY_IP_ROTATED,
                                                rotation.proxy().resellerId, new ProxyIpRotated(proxyId, rotation.proxy().orderId,
                                                        knownIp(rotation.oldIp()), (String) meanwhile[0], (String) meanwhile[1],
                                                        ((Number) meanwhile[2]).intValue(), ProxyIpRotated.MODEM_RESET), clock))
                                        : !announce ? Uni.createFrom().voidItem()
                                        : Outbox.append(session, mapper, EventEnvelope.of(EventTypes.PROXY_ROTATION_FAILED,
                                                rotation.proxy().resellerId, new ProxyRotationFailed(proxyId, rotation.proxy().orderId,
                                                        rotation.hard() ? "hard" : "fast", knownIp(rotation.oldIp()),
                                                        reason(error.detail()), error.code(), rotation.attempts().get()), clock))))
                        .chain(() -> cooldownAfterFailure(session, rotation, now)))
                .replaceWithVoid()
                .onFailure().invoke(e -> LOG.errorf(e, "Recording the failed reset of proxy %d failed", proxyId))
                .onFailure().recoverWithNull();
    }

    /**
     * For a run that failed: the latest verified rotation of its modem that another proxy's run recorded since this run
     * started, from an IP other than this run's old one, as {@code (new_ip, applied_mode, attempts)}; null when there is
     * none, or the proxy is no longer active on that modem. That run left this proxy to its own run (still
     * {@code rotating} then: {@link #othersOnTheModem}), expecting it to announce the same new IP (the agent joins resets
     * of one modem); when this run fails instead (its own command timed out or failed while the joined reset went on),
     * the proxy's exit IP has demonstrably changed all the same, so it hears {@code proxy.ip_rotated} with that run's
     * reset ({@code modem_reset}), not {@code proxy.rotation_failed} (docs/fleet.md "Shared modem: every proxy hears of
     * its new IP"). {@code proxy_rotations} keeps each proxy's latest run only: a rotation whose proxy has started another
     * run since is not found, and this proxy then hears {@code proxy.rotation_failed} as before.
     */
    private static Uni<Object[]> rotatedMeanwhile(Mutiny.Session session, Rotation rotation) {
        return session.createNativeQuery("""
                        select r.new_ip, r.applied_mode, r.attempts from proxy_rotations r
                        where r.modem_id = :modem and r.proxy_id <> :id and r.status = :rotated
                          and r.finished_at >= :started and r.new_ip <> :old
                          and exists (select 1 from proxies p where p.id = :id and p.status = :active and p.modem_id = :modem)
                        order by r.finished_at desc limit 1""", Object[].class)
                .setParameter("modem", rotation.proxy().modemId).setParameter("id", rotation.proxy().id)
                .setParameter("rotated", ROTATED).setParameter("started", rotation.startedAt())
                .setParameter("old", rotation.oldIp() == null ? "" : rotation.oldIp()) // none known: any new IP is a change
                .setParameter("active", ProxyStatus.ACTIVE)
                .getResultList()
                .map(rows -> rows.isEmpty() ? null : rows.get(0));
    }

    /**
     * The SET items that move the modem's cooldown marks to {@code :now} (the reset's end): the fast mark always, the hard
     * one too when {@code hard}; {@code greatest}, so a later mark (another replica's run, a clock ahead) is not moved back.
     */
    private static String cooldownMarksToNow(boolean hard) {
        return "last_reset_at = greatest(last_reset_at, :now)"
                + (hard ? ", last_hard_reset_at = greatest(last_hard_reset_at, :now)" : "");
    }

    /**
     * {@link #recordFailure}'s cooldown marks: given back, or moved to {@code now}, when the fleet gave up on the run (a
     * reset that may have run counts from then, as one that succeeded counts from its end: {@link #recordRotation}),
     * the fast mark always and the hard one too when a hard reset may have run. {@code greatest}: a later mark is kept.
     */
    private static Uni<Integer> cooldownAfterFailure(Mutiny.Session session, Rotation rotation, LocalDateTime now) {
        if (rotation.mayHaveReset().get()) {
            return session.createNativeQuery("update modems set " + cooldownMarksToNow(rotation.hardMayHaveReset().get())
                            + " where id = :modem")
                    .setParameter("now", now).setParameter("modem", rotation.proxy().modemId).executeUpdate();
        }
        return session.createNativeQuery("""
                        update modems m set last_reset_at = r.prev_reset_at, last_hard_reset_at = r.prev_hard_reset_at
                        from proxy_rotations r
                        where r.proxy_id = :id and r.rotation_id = :rotation and m.id = r.modem_id
                          and m.last_reset_at = r.started_at""")
                .setParameter("id", rotation.proxy().id).setParameter("rotation", rotation.rotationId())
                .executeUpdate();
    }

    /**
     * A run's old IP (its answers, its {@code rotation}, its events' {@code old_ip}): null when the fleet knew none, a
     * modem whose agent said Hello without one, stored as an empty string (protobuf has no null), which the events'
     * schemas (a string of at least 2 characters, or null) would refuse.
     */
    private static String knownIp(String ip) {
        return ip == null || ip.isBlank() ? null : ip;
    }

    /** The event's reason: the error's detail, cut to the schema's 2000 characters (an agent's error text can be long). */
    private static String reason(String detail) {
        String text = detail == null || detail.isBlank() ? "The reset failed" : detail;
        return text.length() <= 2000 ? text : text.substring(0, 1999) + "…";
    }

    /**
     * How long until a reset (hard: a hard reset) of a modem last reset at {@code lastReset} and last hard-reset at
     * {@code lastHardReset} (either null: never) is allowed; zero when it is now.
     */
    private Duration cooldownLeft(LocalDateTime lastReset, LocalDateTime lastHardReset, boolean hard, LocalDateTime now) {
        Duration left = remaining(lastReset, resets.fastCooldown(), now);
        if (hard) {
            Duration hardLeft = remaining(lastHardReset, resets.hardCooldown(), now);
            left = hardLeft.compareTo(left) > 0 ? hardLeft : left;
        }
        return left;
    }

    /** A wait in whole seconds, rounded up, at least 1 (as {@code Retry-After} says it). */
    private static long seconds(Duration wait) {
        return Math.max(1, (wait.toMillis() + 999) / 1000);
    }

    private static Duration remaining(LocalDateTime last, Duration cooldown, LocalDateTime now) {
        if (last == null) {
            return Duration.ZERO;
        }
        Duration left = Duration.between(now, last.plus(cooldown));
        return left.isNegative() ? Duration.ZERO : left;
    }

    static String modeName(ResetMode mode) {
        return mode == ResetMode.RESET_MODE_HARD ? "hard" : "fast";
    }

    private static Proxy copyOf(Proxy p) {
        Proxy copy = new Proxy();
        copy.id = p.id;
        copy.resellerId = p.resellerId;
        copy.orderId = p.orderId;
        copy.modemId = p.modemId;
        copy.agentId = p.agentId;
        copy.status = p.status;
        return copy;
    }

    private LocalDateTime now() {
        return ClockProducer.utcNow(clock);
    }
}
