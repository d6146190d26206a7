package com.proxyvault.fleet.proxies;

import com.proxyvault.platform.time.ClockProducer;
import com.proxyvault.contracts.agent.v1.CommandResult;
import com.proxyvault.contracts.agent.v1.Fingerprint;
import com.proxyvault.contracts.agent.v1.FleetMessage;
import com.proxyvault.contracts.agent.v1.ResetMode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.proxyvault.contracts.events.EventEnvelope;
import com.proxyvault.contracts.events.EventTypes;
import com.proxyvault.contracts.events.ProxyIpRotated;
import com.proxyvault.platform.http.ApiException;
import com.proxyvault.platform.http.ErrorCodes;
import com.proxyvault.platform.outbox.Outbox;
import com.proxyvault.fleet.agents.AgentRouter;
import com.proxyvault.fleet.locations.Location;
import com.proxyvault.fleet.provisioning.AgentCommands;
import com.proxyvault.fleet.provisioning.Credentials;
import com.proxyvault.fleet.provisioning.ModemAllocator;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.hibernate.LockMode;
import org.hibernate.reactive.mutiny.Mutiny;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Clock;
import java.time.LocalDateTime;
import java.util.List;

/**
 * What a reseller does to a running proxy: reset its IP, change its fingerprint, disconnect it, connect
 * it to a location. Commands go to the agent serving the proxy over its stream, and the HTTP answer waits
 * for the agent's result, so "200" means the modem really did it.
 */
@ApplicationScoped
public class ProxyControlService {

    private static final Logger LOG = Logger.getLogger(ProxyControlService.class);
    private static final Duration AGENT_TIMEOUT = Duration.ofSeconds(15);
    public static final List<String> FINGERPRINTS = List.of("none", "linux", "macos", "windows");

    private final Mutiny.SessionFactory sessionFactory;
    private final AgentRouter agents;
    private final ModemAllocator allocator;

    private final Clock clock;

    private final ObjectMapper mapper;
    private final ResetConfig resets;

    public ProxyControlService(Mutiny.SessionFactory sessionFactory, AgentRouter agents, ModemAllocator allocator,
                               Clock clock, ObjectMapper mapper, ResetConfig resets) {
        this.mapper = mapper;
        this.resets = resets;
        this.clock = clock;
        this.sessionFactory = sessionFactory;
        this.agents = agents;
        this.allocator = allocator;
    }

    /**
     * The reset's answer: the seed's {@code proxy_id}, {@code mode} (as asked) and {@code exit_ip} (the new one),
     * plus the verified rotation's {@code old_ip}, {@code new_ip}, {@code applied_mode} and {@code attempts}.
     */
    public record ResetResult(long proxyId, String mode, String exitIp, String oldIp, String newIp, String appliedMode,
                              int attempts) {
    }

    public record FingerprintResult(long proxyId, String fingerprint) {
    }

    public record Connected(String ip, int port, String username, String password, String locationId) {
    }

    /**
     * {@code POST /proxies/{id}/reset {"mode"}}, a <b>verified rotation</b> (issue 8; docs/fleet.md "Verified
     * rotation"): the exit IP the fleet last knew for the proxy's modem is the old one; the modem is reset and
     * the IP it then reports must differ. Unchanged (or none reported) → the same reset again, up to
     * {@code attempts-per-mode}; then a fast reset escalates to a hard one. The answer names {@code old_ip},
     * {@code new_ip}, the mode that did it and the attempts, and {@code proxy.ip_rotated} goes out with the new
     * exit IP stored. Cooldowns ({@link ResetConfig}) are claimed first, under the proxy's row lock, so two
     * concurrent resets cannot both pass: 429 {@code reset_cooldown} with {@code Retry-After}. 409 when the
     * proxy is not active; 503 when the modem does not answer or refuses, or {@code rotation_failed} when the
     * IP never changed (a hard reset still in its cooldown is not tried; Retry-After says when it can be).
     */
    public Uni<ResetResult> resetIp(long resellerId, long proxyId, String mode, String authorization) {
        boolean hard = "hard".equals(mode);
        LocalDateTime now = now();
        return sessionFactory.withTransaction(session -> find(session, resellerId, proxyId, LockMode.PESSIMISTIC_WRITE)
                        .chain(proxy -> {
                            requireStatus(proxy, ProxyStatus.ACTIVE);
                            Duration wait = cooldownLeft(proxy, hard, now);
                            if (!wait.isZero()) {
                                throw ApiException.tooManyRequests(ErrorCodes.RESET_COOLDOWN, (hard ? "A hard reset" : "A reset")
                                        + " of this proxy is possible again in " + Math.max(1, (wait.toMillis() + 999) / 1000)
                                        + " s").retryAfter(wait);
                            }
                            proxy.lastResetAt = now;
                            if (hard) {
                                proxy.lastHardResetAt = now;
                            }
                            // an escalation to hard only waits for the hard cooldown (this reset is the fast one)
                            Duration hardWait = hard ? Duration.ZERO : remaining(proxy.lastHardResetAt, resets.hardCooldown(), now);
                            return session.createNativeQuery("select exit_ip from modems where id = :modem", String.class)
                                    .setParameter("modem", proxy.modemId)
                                    .getSingleResult()
                                    .map(oldIp -> new Rotation(copyOf(proxy), proxy.orderId, oldIp, hardWait.isZero(), hardWait));
                        }))
                .chain(rotation -> rotate(rotation, hard ? ResetMode.RESET_MODE_HARD : ResetMode.RESET_MODE_FAST, 1, 0, authorization)
                        .chain(outcome -> recordRotation(rotation, outcome))
                        .map(outcome -> new ResetResult(proxyId, mode, outcome.newIp(), rotation.oldIp(), outcome.newIp(),
                                modeName(outcome.mode()), outcome.attempts())));
    }

    /** A claimed reset: the proxy as it was, the exit IP before, and whether a hard reset may be tried. */
    private record Rotation(Proxy proxy, long orderId, String oldIp, boolean hardAllowed, Duration hardWait) {
    }

    private record Rotated(String newIp, ResetMode mode, int attempts) {
    }

    private Uni<Rotated> rotate(Rotation rotation, ResetMode mode, int attemptInMode, int attemptsSoFar, String authorization) {
        return command(rotation.proxy().agentId, AgentCommands.resetIp(rotation.proxy(), mode), authorization).chain(result -> {
            int attempts = attemptsSoFar + 1;
            String reported = result.getExitIp();
            if (reported != null && !reported.isBlank() && !reported.equals(rotation.oldIp())) {
                return Uni.createFrom().item(new Rotated(reported, mode, attempts));
            }
            LOG.warnf("Proxy %d: %s reset %d reported exit IP %s, the one it had: %s", rotation.proxy().id,
                    modeName(mode), attemptInMode, reported, attemptInMode < resets.attemptsPerMode() ? "trying again"
                            : mode == ResetMode.RESET_MODE_FAST && rotation.hardAllowed() ? "escalating to a hard reset" : "giving up");
            if (attemptInMode < resets.attemptsPerMode()) {
                return rotate(rotation, mode, attemptInMode + 1, attempts, authorization);
            }
            if (mode == ResetMode.RESET_MODE_FAST && rotation.hardAllowed()) {
                return rotate(rotation, ResetMode.RESET_MODE_HARD, 1, attempts, authorization);
            }
            ApiException failed = ApiException.unavailable(ErrorCodes.ROTATION_FAILED, "The exit IP did not change after "
                    + attempts + " resets (" + rotation.oldIp() + ")" + (rotation.hardAllowed() ? ""
                    : ": a hard reset is possible once its cooldown is over"));
            return Uni.createFrom().failure(rotation.hardAllowed() ? failed : failed.retryAfter(rotation.hardWait()));
        });
    }

    /** The new exit IP on the modem, the hard reset's cooldown if one was used, and proxy.ip_rotated: one transaction. */
    private Uni<Rotated> recordRotation(Rotation rotation, Rotated outcome) {
        Proxy proxy = rotation.proxy();
        LocalDateTime now = now();
        return sessionFactory.withTransaction(session -> session
                        .createNativeQuery("update modems set exit_ip = :ip, updated_at = :now where id = :modem")
                        .setParameter("ip", outcome.newIp())
                        .setParameter("now", now)
                        .setParameter("modem", proxy.modemId)
                        .executeUpdate()
                        .chain(() -> outcome.mode() != ResetMode.RESET_MODE_HARD ? Uni.createFrom().item(0)
                                : session.createNativeQuery("update proxies set last_hard_reset_at = :now where id = :id")
                                        .setParameter("now", now).setParameter("id", proxy.id).executeUpdate())
                        .chain(() -> Outbox.append(session, mapper, EventEnvelope.of(EventTypes.PROXY_IP_ROTATED, proxy.resellerId,
                                new ProxyIpRotated(proxy.id, rotation.orderId(), rotation.oldIp(), outcome.newIp(),
                                        modeName(outcome.mode()), outcome.attempts()), clock))))
                .replaceWith(outcome);
    }

    /** How long until a reset (hard: a hard reset) of this proxy is allowed; zero when it is now. */
    private Duration cooldownLeft(Proxy proxy, boolean hard, LocalDateTime now) {
        Duration left = remaining(proxy.lastResetAt, resets.fastCooldown(), now);
        if (hard) {
            Duration hardLeft = remaining(proxy.lastHardResetAt, resets.hardCooldown(), now);
            left = hardLeft.compareTo(left) > 0 ? hardLeft : left;
        }
        return left;
    }

    private static Duration remaining(LocalDateTime last, Duration cooldown, LocalDateTime now) {
        if (last == null) {
            return Duration.ZERO;
        }
        Duration left = Duration.between(now, last.plus(cooldown));
        return left.isNegative() ? Duration.ZERO : left;
    }

    private static String modeName(ResetMode mode) {
        return mode == ResetMode.RESET_MODE_HARD ? "hard" : "fast";
    }

    public Uni<FingerprintResult> setFingerprint(long resellerId, long proxyId, String fingerprint, String authorization) {
        Fingerprint profile = Fingerprint.valueOf("FINGERPRINT_" + fingerprint.toUpperCase());
        return sessionFactory.withSession(session -> find(session, resellerId, proxyId, null))
                .chain(proxy -> {
                    requireStatus(proxy, ProxyStatus.ACTIVE, ProxyStatus.DISCONNECTED);
                    // A disconnected proxy has no listener to tell; it gets the profile when connected again.
                    Uni<?> applied = ProxyStatus.ACTIVE.equals(proxy.status)
                            ? command(proxy.agentId, AgentCommands.setFingerprint(proxy, profile), authorization)
                            : Uni.createFrom().voidItem();
                    return applied.chain(() -> sessionFactory.withTransaction(session -> session
                                    .createNativeQuery("update proxies set fingerprint = :fingerprint, updated_at = :now where id = :id")
                                    .setParameter("fingerprint", fingerprint)
                                    .setParameter("now", now())
                                    .setParameter("id", proxy.id)
                                    .executeUpdate()))
                            .replaceWith(new FingerprintResult(proxy.id, fingerprint));
                });
    }

    /**
     * Closes the proxy's port and frees its modem; the paid period keeps running. Answers once the agent
     * closed the port (a fresh-user test found the old port still serving for ~0.3 s after the 200 when the
     * release was fire-and-forget); an agent that cannot be reached closes it when it reconnects
     * (reconciliation releases every proxy it serves that is not active).
     */
    public Uni<Void> disconnect(long resellerId, long proxyId, String authorization) {
        return sessionFactory.withTransaction(session -> find(session, resellerId, proxyId, LockMode.PESSIMISTIC_WRITE)
                        .invoke(proxy -> {
                            requireStatus(proxy, ProxyStatus.ACTIVE);
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
     */
    public Uni<Connected> connect(long resellerId, long proxyId, String locationId, String authorization) {
        return sessionFactory.withSession(session -> session.find(Location.class, locationId))
                .onItem().ifNull().failWith(() -> ApiException.unprocessable("Unknown location_id '" + locationId + "'"))
                .chain(location -> sessionFactory.withTransaction(session ->
                        find(session, resellerId, proxyId, LockMode.PESSIMISTIC_WRITE).chain(proxy -> {
                            requireStatus(proxy, ProxyStatus.ACTIVE, ProxyStatus.DISCONNECTED);
                            // A disconnected proxy holds no slot: its own modem is as good as any other.
                            String notHere = ProxyStatus.DISCONNECTED.equals(proxy.status) ? null : proxy.modemId;
                            return allocator.place(session, now(), locationId, notHere).map(target -> {
                                if (target == null) {
                                    throw ApiException.conflict("No free modem in " + locationId + " right now");
                                }
                                Placement previous = Placement.of(proxy);
                                new Placement(target.modemId(), target.agentId(), target.locationId(), target.publicHost(),
                                        target.port(), Credentials.username(), Credentials.password(), ProxyStatus.ACTIVE)
                                        .applyTo(proxy);
                                proxy.updatedAt = now();
                                return new Move(copyOf(proxy), previous);
                            });
                        })))
                .chain(move -> command(move.proxy().agentId, AgentCommands.provision(move.proxy()), authorization)
                        .onFailure().call(failure -> revert(move))
                        .map(ok -> {
                            // Moved within one agent, the agent already swapped the listeners when it opened the
                            // new one; only a proxy that left another agent has an old listener to close there.
                            Placement before = move.previous();
                            if (ProxyStatus.ACTIVE.equals(before.status()) && !before.agentId().equals(move.proxy().agentId)) {
                                agents.releaseQuietly(before.agentId(), move.proxy().id, before.port(), authorization);
                            }
                            Proxy p = move.proxy();
                            return new Connected(p.ip, p.port, p.username, p.password, p.locationId);
                        }));
    }

    private record Move(Proxy proxy, Placement previous) {
    }

    /**
     * Puts the proxy back where it was, if it is still where the move put it (it may have expired or been
     * disconnected meanwhile: then that newer state stands). If its old port was taken meanwhile, it stays
     * disconnected.
     */
    private Uni<Void> revert(Move move) {
        Proxy moved = move.proxy();
        Uni<Void> putBack = sessionFactory.withTransaction(session -> session.find(Proxy.class, moved.id, LockMode.PESSIMISTIC_WRITE)
                .invoke(proxy -> {
                    if (stillWhereMoved(proxy, moved)) {
                        move.previous().applyTo(proxy);
                        proxy.updatedAt = now();
                    }
                })
                .call(session::flush)
                .replaceWithVoid());
        return putBack
                .onFailure().recoverWithUni(conflict -> sessionFactory.withTransaction(session -> session
                        .createNativeQuery("""
                                update proxies set status = :disconnected, updated_at = :now
                                where id = :id and status = :active and agent_id = :agent and port = :port""")
                        .setParameter("disconnected", ProxyStatus.DISCONNECTED)
                        .setParameter("now", now())
                        .setParameter("id", moved.id)
                        .setParameter("active", ProxyStatus.ACTIVE)
                        .setParameter("agent", moved.agentId)
                        .setParameter("port", moved.port)
                        .executeUpdate()
                        .replaceWithVoid()))
                .onFailure().invoke(e -> LOG.errorf(e, "Reverting the move of proxy %d failed", moved.id))
                .onFailure().recoverWithNull();
    }

    private static boolean stillWhereMoved(Proxy current, Proxy moved) {
        return current != null && ProxyStatus.ACTIVE.equals(current.status)
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
        if (!List.of(allowed).contains(proxy.status)) {
            throw ApiException.conflict("Proxy is " + proxy.status + "; this needs it " + String.join(" or ", allowed));
        }
    }

    /**
     * Sends a command to the agent, wherever its stream is ({@link AgentRouter}: forwarded with the caller's
     * {@code authorization} when another replica holds it), and succeeds only on its ok; otherwise a 503 the
     * reseller may retry.
     */
    private Uni<CommandResult> command(String agentId, FleetMessage.Builder command, String authorization) {
        return agents.command(agentId, command, AGENT_TIMEOUT, authorization)
                .onFailure().transform(e -> e instanceof AgentRouter.NotHeld
                        ? ApiException.unavailable("The proxy's modem is not reachable right now, try again")
                        : ApiException.unavailable("The proxy's modem did not answer, try again"))
                .map(result -> {
                    if (!result.getOk()) {
                        throw ApiException.unavailable("The modem could not do it: " + result.getError());
                    }
                    return result;
                });
    }

    private static Proxy copyOf(Proxy p) {
        Proxy copy = new Proxy();
        copy.id = p.id;
        copy.resellerId = p.resellerId;
        copy.modemId = p.modemId;
        copy.agentId = p.agentId;
        copy.locationId = p.locationId;
        copy.ip = p.ip;
        copy.port = p.port;
        copy.username = p.username;
        copy.password = p.password;
        copy.status = p.status;
        return copy;
    }

    private LocalDateTime now() {
        return ClockProducer.utcNow(clock);
    }
}
