package com.proxyvault.agent.proxy;

import com.proxyvault.agent.AgentConfig;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The proxies this agent serves right now, one listener each. Outlives the link to the fleet: a
 * reconnect must not interrupt customers, so listeners are only closed by ReleaseProxy or shutdown.
 */
@Singleton
public class ProxyListeners {

    private static final Logger LOG = Logger.getLogger(ProxyListeners.class);

    private final ProxyEventLoop eventLoop;
    private final String bindHost;
    private final OriginPolicy originPolicy;
    private final ProxySettings settings;
    private final ConnectionLimits limits;
    private final BodyBudget bodyBudget;
    private final Clock clock;
    private final Map<Long, ProxyListener> byProxyId = new ConcurrentHashMap<>();

    @Inject
    public ProxyListeners(ProxyEventLoop eventLoop, AgentConfig config, Clock clock, MeterRegistry meters) {
        this(eventLoop, config.proxyBindHost(), OriginPolicy.allowing(config.allowedPrivateTargets().orElse(List.of())),
                settings(config.listener()), clock);
        registerMeters(meters);
        LOG.infof("Customer connections: at most %d (descriptors: %d allowed, %d reserved, 2 per customer connection, "
                        + "1 per listening socket); in their request-head phase at most %d per source and %d in all; request "
                        + "bodies held at most %d bytes (docs/fleet.md \"Connection limits\")",
                limits.customerCeiling(), limits.maxOpenFiles(), limits.reservedFiles(), limits.maxHeadPhasePerSource(),
                limits.maxHeadPhase(), bodyBudget.limit());
        if (limits.maxHeadPhase() > limits.customerCeiling() / 2) {
            LOG.warnf("%d connections in their request-head phase may take more than half of the %d customer connections "
                            + "the descriptor limit allows: a flood without credentials could crowd out paying customers; raise "
                            + "LimitNOFILE to at least %d (docs/fleet.md \"Connection limits\")", limits.maxHeadPhase(),
                    limits.customerCeiling(), 4L * limits.maxHeadPhase() + limits.reservedFiles());
        }
    }

    /** The listeners' settings from the agent's configuration; the descriptor limit is the process's unless configured. */
    static ProxySettings settings(AgentConfig.Listener listener) {
        long maxOpenFiles = listener.maxOpenFiles().orElse(ConnectionLimits.processMaxOpenFiles());
        return new ProxySettings(listener.maxRequestLineBytes(), listener.maxHeaderBytes(), listener.requestHeadTimeout(),
                listener.idleTimeout(), listener.maxHeadPhaseConnectionsPerSource(), listener.maxHeadPhaseConnections(),
                maxOpenFiles, listener.reservedFiles().orElse(ProxySettings.defaultReservedFiles(maxOpenFiles)),
                listener.requestBodyBudgetBytes().orElse(ProxySettings.defaultRequestBodyBudgetBytes()));
    }

    public ProxyListeners(ProxyEventLoop eventLoop, String bindHost, OriginPolicy originPolicy) {
        this(eventLoop, bindHost, originPolicy, ProxySettings.DEFAULTS, Clock.systemUTC());
    }

    public ProxyListeners(ProxyEventLoop eventLoop, String bindHost, OriginPolicy originPolicy, ProxySettings settings, Clock clock) {
        this.clock = clock;
        this.eventLoop = eventLoop;
        this.bindHost = bindHost;
        this.originPolicy = originPolicy;
        this.settings = settings;
        this.limits = new ConnectionLimits(settings);
        this.bodyBudget = new BodyBudget(settings.requestBodyBudgetBytes());
    }

    /**
     * On {@code /q/metrics}: connections refused by {@link ConnectionLimits} by reason ({@code head_phase_per_source},
     * {@code head_phase}, {@code open_files}), requests answered 503 for want of body budget, and the counts they are
     * judged by. Read when scraped; nothing is added to a connection's path.
     */
    private void registerMeters(MeterRegistry meters) {
        for (ConnectionLimits.Refusal reason : ConnectionLimits.Refusal.values()) {
            FunctionCounter.builder("proxyvault.agent.connections.refused", limits, counted -> counted.refused(reason))
                    .tag("reason", reason.tag)
                    .description("Customer connections reset at accept, or closed instead of waiting for a next request, past a limit")
                    .register(meters);
        }
        Gauge.builder("proxyvault.agent.connections.head_phase", limits, ConnectionLimits::headPhase)
                .description("Customer connections without a complete request yet").register(meters);
        Gauge.builder("proxyvault.agent.connections.customer", limits, ConnectionLimits::customers)
                .description("Customer connections open").register(meters);
        Gauge.builder("proxyvault.agent.connections.customer.ceiling", limits, ConnectionLimits::customerCeiling)
                .description("Customer connections the descriptor limit allows").register(meters);
        FunctionCounter.builder("proxyvault.agent.request_bodies.refused", bodyBudget, BodyBudget::refusals)
                .description("Requests answered 503 because their body did not fit the request-body budget").register(meters);
        Gauge.builder("proxyvault.agent.request_bodies.held", bodyBudget, BodyBudget::held)
                .baseUnit("bytes").description("Bytes of request bodies held").register(meters);
    }

    /** The agent's connection limits and their counters (tests). */
    ConnectionLimits limits() {
        return limits;
    }

    /** The agent's request-body budget (tests). */
    BodyBudget bodyBudget() {
        return bodyBudget;
    }

    /**
     * Serves {@code assignment}. Idempotent, because the fleet re-sends commands it got no answer
     * for: the same proxy on the same port just takes the (possibly new) credentials and modem; the
     * same proxy on another port moves there. A listener of <em>another</em> proxy on the port is stale and
     * is closed first: the fleet assigns a port only when its database holds it for no proxy (a unique index
     * over the places proxies hold, and the places moves hold, fleet V22/V24), so that listener belongs to a
     * proxy the fleet has moved, disconnected or ended while this agent could not be told (its release failed
     * or was still on the way), which the fleet's reconciliation would close anyway. Before, the assignment
     * was refused and the purchase it served failed and was refunded (static review, stop 29, finding 4).
     * Fails with {@link ProxyException} when anything else on the host has the port.
     */
    public synchronized CompletableFuture<Void> open(ProxyAssignment assignment) {
        ProxyListener current = byProxyId.get(assignment.proxyId());
        if (current != null && current.port() == assignment.port()) {
            current.reassign(assignment);
            LOG.infof("Proxy %d on port %d already open; credentials and modem refreshed", assignment.proxyId(), assignment.port());
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> portFree = CompletableFuture.completedFuture(null);
        Optional<ProxyListener> stale = findByPort(assignment.port());
        if (stale.isPresent()) {
            byProxyId.remove(stale.get().proxyId(), stale.get());
            LOG.warnf("Port %d still served proxy %d, which the fleet no longer places there: closing it for proxy %d",
                    assignment.port(), stale.get().proxyId(), assignment.proxyId());
            portFree = stale.get().close();
        }
        ProxyListener listener = new ProxyListener(assignment, eventLoop, originPolicy, settings, limits, bodyBudget, clock);
        // Registered before the bind completes so that a later command for this proxy sees it.
        byProxyId.put(assignment.proxyId(), listener);
        return portFree.thenCompose(freed -> listener.bind(bindHost)).whenComplete((ok, failure) -> {
            if (failure != null) {
                byProxyId.remove(assignment.proxyId(), listener);
                if (current != null) {
                    byProxyId.putIfAbsent(assignment.proxyId(), current); // keep serving on the old port
                }
                LOG.warnf("Could not open proxy %d on port %d: %s", assignment.proxyId(), assignment.port(), failure.getMessage());
            } else {
                LOG.infof("Opened %s", listener);
            }
        }).thenCompose(opened -> {
            if (current == null) {
                return CompletableFuture.completedFuture(null);
            }
            // A move is done when the old port is closed too: the fleet (and a customer) may rely on it
            // being free as soon as the command is confirmed.
            LOG.infof("Proxy %d moves from port %d to %d", assignment.proxyId(), current.port(), assignment.port());
            return current.close();
        });
    }

    /** Stops serving a proxy and drops its connections; releasing one we don't serve is a no-op. */
    public synchronized CompletableFuture<Void> release(long proxyId) {
        ProxyListener listener = byProxyId.remove(proxyId);
        if (listener == null) {
            return CompletableFuture.completedFuture(null);
        }
        LOG.infof("Releasing %s", listener);
        return listener.close();
    }

    public Optional<ProxyListener> find(long proxyId) {
        return Optional.ofNullable(byProxyId.get(proxyId));
    }

    /** What Hello reports as served_proxies, ordered by proxy id. */
    public List<ProxyListener> served() {
        List<ProxyListener> listeners = new ArrayList<>(byProxyId.values());
        listeners.sort(Comparator.comparingLong(ProxyListener::proxyId));
        return listeners;
    }

    private Optional<ProxyListener> findByPort(int port) {
        return byProxyId.values().stream().filter(listener -> listener.port() == port).findFirst();
    }

    /**
     * Closes every listener at shutdown while the proxy event loop still runs: Quarkus fires {@link ShutdownEvent}
     * before it destroys beans, and the destruction order of this bean and {@link ProxyEventLoop} is not given, so
     * closing from {@code @PreDestroy} alone met a terminated loop: two ERROR stack traces and a 5 s wait on every
     * stop with a proxy open (new-user review 5, finding 7). {@code @PreDestroy} stays as the fallback (nothing left
     * to close by then).
     */
    void onStop(@Observes ShutdownEvent event) {
        closeAll();
    }

    @PreDestroy
    synchronized void closeAll() {
        List<CompletableFuture<Void>> closing = byProxyId.values().stream().map(ProxyListener::close).toList();
        byProxyId.clear();
        try {
            // Bounded: at shutdown the event loop may already be going away under us.
            CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new)).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warnf("Not every proxy listener closed cleanly at shutdown: %s", e.toString());
        }
    }
}
