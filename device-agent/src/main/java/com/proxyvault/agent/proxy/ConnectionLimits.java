package com.proxyvault.agent.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import org.jboss.logging.Logger;

import java.lang.management.ManagementFactory;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * How many customer connections the agent takes, over all its proxies: one instance per agent
 * ({@link ProxyListeners}), asked by every listener when it accepts a connection (docs/fleet.md "Connection limits").
 *
 * <ul>
 *   <li><b>Request-head phase</b>: a connection that has not yet delivered a complete request, from its accept (or, kept
 *       alive, from the end of the previous answer) until its HTTP request, body included, or its SOCKS5 command has
 *       arrived. At most {@link ProxySettings#maxHeadPhaseConnectionsPerSource()} of them per source (an IPv4
 *       address; an IPv6 /64, which one host holds whole) and {@link ProxySettings#maxHeadPhaseConnections()} in all.
 *       These connections have proven nothing (no credentials checked yet), so they are what a flood without
 *       credentials consists of. Connections past their request (an answer on its way, a tunnel) are not counted.</li>
 *   <li><b>Descriptors</b>: customer connections in all, so that {@code accept()} never fails with EMFILE: each may hold
 *       two descriptors (its own socket and its origin's), the listening sockets hold one each, and
 *       {@link ProxySettings#reservedFiles()} stay for the rest of the process (jars, the fleet link, the health port,
 *       mmcli and nft pipes, the resolver). A new connection is taken while
 *       {@code 2 × (customers + 1) + listening sockets + reserved ≤ max open files}.</li>
 * </ul>
 * A new connection past any of them is reset at once, before a handler is added for it ({@link ProxyListener}); a
 * kept-alive connection that would go back into the request-head phase past a cap is closed once its answer is out.
 * Found (hostile review, 2026-12-03): 20,000 connections from two clients sending one byte each took the agent to its
 * LimitNOFILE; accept failed with EMFILE and every other proxy of the agent stopped accepting until the 30 s
 * request-head timeout freed the flood.
 *
 * <p>The counters are shared by every event loop (atomics; per source a {@link ConcurrentHashMap} entry that goes
 * when it reaches zero, so a scan from many addresses leaves nothing behind). What one connection holds is kept by
 * its {@link Admission}, used on that connection's event loop only: it is counted once when admitted and released
 * exactly once when its channel closes, whichever way it closes (reset, timer, either side's close).
 */
final class ConnectionLimits {

    private static final Logger LOG = Logger.getLogger(ConnectionLimits.class);
    /** See {@link #processMaxOpenFiles()}. */
    private static final long PROCESS_MAX_OPEN_FILES =
            ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.UnixOperatingSystemMXBean unix
                    ? unix.getMaxFileDescriptorCount()
                    : Long.MAX_VALUE;

    /** Why a connection was refused; the metric's {@code reason} tag. */
    enum Refusal {
        HEAD_PHASE_PER_SOURCE("head_phase_per_source"),
        HEAD_PHASE("head_phase"),
        OPEN_FILES("open_files");

        final String tag;

        Refusal(String tag) {
            this.tag = tag;
        }
    }

    private final int maxHeadPhasePerSource;
    private final int maxHeadPhase;
    private final long maxOpenFiles;
    private final int reservedFiles;

    private final AtomicInteger headPhase = new AtomicInteger();
    private final Map<InetAddress, Integer> headPhaseBySource = new ConcurrentHashMap<>();
    private final AtomicInteger customers = new AtomicInteger();
    private final AtomicInteger listeningSockets = new AtomicInteger();

    private final Map<Refusal, LongAdder> refused = new EnumMap<>(Refusal.class);
    /** Guarded by the warning's lock: the totals at the last WARN line. */
    private final Map<Refusal, Long> refusedAtLastLine = new EnumMap<>(Refusal.class);
    private volatile InetAddress lastRefusedSource;
    private final RateLimitedWarning warning;

    ConnectionLimits(ProxySettings settings) {
        this.maxHeadPhasePerSource = settings.maxHeadPhaseConnectionsPerSource();
        this.maxHeadPhase = settings.maxHeadPhaseConnections();
        this.maxOpenFiles = settings.maxOpenFiles();
        this.reservedFiles = settings.reservedFiles();
        for (Refusal reason : Refusal.values()) {
            refused.put(reason, new LongAdder());
            refusedAtLastLine.put(reason, 0L);
        }
        this.warning = new RateLimitedWarning(LOG, RateLimitedWarning.INTERVAL, this::refusalLine);
    }

    /**
     * The descriptors this process may hold (its {@code RLIMIT_NOFILE}, systemd's {@code LimitNOFILE}), read from the
     * JVM once, when this class loads; {@link Long#MAX_VALUE} where the JVM cannot tell (not a Unix). The JVM raises
     * the soft limit to the hard one at start on Linux ({@code -XX:+MaxFDLimit}), so this is the hard limit there.
     */
    static long processMaxOpenFiles() {
        return PROCESS_MAX_OPEN_FILES;
    }

    /**
     * Customer connections taken at most right now: {@code (max open files − reserved − listening sockets) / 2}
     * (each customer may hold its origin's descriptor too). Listening sockets change as proxies open and close.
     */
    long customerCeiling() {
        return Math.max(0, (maxOpenFiles - reservedFiles - listeningSockets.get()) / 2);
    }

    /**
     * Counts {@code customer}, just accepted, or refuses it. Runs on its event loop before any handler is added.
     *
     * @return what the connection holds, to pass to its {@link ConnectionTimeouts}; released when the channel closes
     *         (registered here). Null when it is over a limit: the caller resets it, nothing was counted
     */
    Admission admit(Channel customer) {
        InetAddress source = sourceOf(customer.remoteAddress());
        Refusal refusal = acquireHeadPhase(source);
        if (refusal == null && !increment(customers, customerCeiling())) {
            releaseHeadPhase(source);
            refusal = Refusal.OPEN_FILES;
        }
        if (refusal != null) {
            refused(refusal, source);
            return null;
        }
        Admission admission = new Admission(source);
        customer.closeFuture().addListener(admission);
        return admission;
    }

    /** Listening sockets opened ({@code count} > 0) or closed (< 0): each holds a descriptor. */
    void listeningSockets(int count) {
        listeningSockets.addAndGet(count);
    }

    /** Connections in their request-head phase right now, over all sources. */
    int headPhase() {
        return headPhase.get();
    }

    /** Connections in their request-head phase right now from {@code source} (its /64 for IPv6). */
    int headPhaseOf(InetAddress source) {
        return headPhaseBySource.getOrDefault(sourceKey(source), 0);
    }

    /** Sources with a connection in its request-head phase right now (their entries go at zero). */
    int sourcesInHeadPhase() {
        return headPhaseBySource.size();
    }

    /** Customer connections open right now (admitted, not yet closed). */
    int customers() {
        return customers.get();
    }

    /** Connections refused (reset at accept, or closed instead of a kept-alive wait) for {@code reason} since start. */
    long refused(Refusal reason) {
        return refused.get(reason).sum();
    }

    int maxHeadPhasePerSource() {
        return maxHeadPhasePerSource;
    }

    int maxHeadPhase() {
        return maxHeadPhase;
    }

    long maxOpenFiles() {
        return maxOpenFiles;
    }

    int reservedFiles() {
        return reservedFiles;
    }

    /** Null when {@code source} may have one more connection in its request-head phase (counted then), else why not. */
    private Refusal acquireHeadPhase(InetAddress source) {
        if (!increment(headPhase, maxHeadPhase)) {
            return Refusal.HEAD_PHASE;
        }
        boolean[] taken = {false};
        headPhaseBySource.compute(source, (key, count) -> {
            int now = count == null ? 0 : count;
            if (now >= maxHeadPhasePerSource) {
                return count;
            }
            taken[0] = true;
            return now + 1;
        });
        if (!taken[0]) {
            headPhase.decrementAndGet();
            return Refusal.HEAD_PHASE_PER_SOURCE;
        }
        return null;
    }

    private void releaseHeadPhase(InetAddress source) {
        headPhaseBySource.computeIfPresent(source, (key, count) -> count == 1 ? null : count - 1);
        headPhase.decrementAndGet();
    }

    /** Adds one to {@code counter} unless that takes it past {@code max}; exact under races (no overshoot). */
    private static boolean increment(AtomicInteger counter, long max) {
        while (true) {
            int now = counter.get();
            if (now >= max) {
                return false;
            }
            if (counter.compareAndSet(now, now + 1)) {
                return true;
            }
        }
    }

    private void refused(Refusal reason, InetAddress source) {
        refused.get(reason).increment();
        lastRefusedSource = source;
        warning.happened();
    }

    /** The WARN for the refusals since the last one, or null when there were none. */
    private String refusalLine() {
        StringBuilder line = new StringBuilder();
        long total = 0;
        for (Refusal reason : Refusal.values()) {
            long now = refused(reason);
            long since = now - refusedAtLastLine.put(reason, now);
            total += since;
            if (since > 0) {
                line.append(line.isEmpty() ? "" : "; ").append(since).append(switch (reason) {
                    case HEAD_PHASE_PER_SOURCE -> " past " + maxHeadPhasePerSource + " in their request-head phase from one source";
                    case HEAD_PHASE -> " past " + maxHeadPhase + " in their request-head phase in all";
                    case OPEN_FILES -> " past the descriptor ceiling of " + customerCeiling() + " customer connections";
                });
            }
        }
        if (total == 0) {
            return null;
        }
        InetAddress source = lastRefusedSource;
        return "Refused " + total + " customer connection(s) in the last " + RateLimitedWarning.INTERVAL.toSeconds()
                + " s or less (reset at accept, or closed instead of waiting for a next request): " + line
                + ". Last from " + (source == null ? "?" : source.getHostAddress()) + "; now " + headPhase()
                + " in their request-head phase, " + customers() + " customer connections open (docs/fleet.md \"Connection limits\")";
    }

    /** The key a source is counted under: the IPv4 address, or the /64 of an IPv6 address. */
    static InetAddress sourceKey(InetAddress address) {
        if (!(address instanceof Inet6Address)) {
            return address;
        }
        byte[] prefix = Arrays.copyOf(address.getAddress(), 16);
        Arrays.fill(prefix, 8, 16, (byte) 0);
        try {
            return InetAddress.getByAddress(prefix);
        } catch (UnknownHostException impossible) {
            throw new IllegalStateException(impossible); // 16 bytes are always an address
        }
    }

    private static InetAddress sourceOf(SocketAddress remote) {
        if (remote instanceof InetSocketAddress inet && inet.getAddress() != null) {
            return sourceKey(inet.getAddress());
        }
        return InetAddress.getLoopbackAddress(); // not an IP socket: never the case for a proxy port
    }

    /**
     * What one admitted customer connection holds: a place among the open customer connections until it closes, and
     * one in the request-head phase while it is in it. Used on the connection's event loop only (its
     * {@link ConnectionTimeouts}, and the close listener, which Netty runs there), so its flags need no lock.
     */
    final class Admission implements ChannelFutureListener {

        private final InetAddress source;
        private boolean inHeadPhase = true; // admitted into it
        private boolean released;

        private Admission(InetAddress source) {
            this.source = source;
        }

        /** True between the start of the request-head phase and a complete request. */
        boolean inHeadPhase() {
            return inHeadPhase;
        }

        /**
         * A kept-alive connection is ready for its next request: back into the request-head phase. False when that
         * would be past a cap (counted as refused; the caller closes the connection once its answer is out). True,
         * changing nothing, when already in it or closed.
         */
        boolean enterHeadPhase() {
            if (inHeadPhase || released) {
                return true;
            }
            Refusal refusal = acquireHeadPhase(source);
            if (refusal != null) {
                refused(refusal, source);
                return false;
            }
            inHeadPhase = true;
            return true;
        }

        /** The request (or SOCKS5 command) is complete; no-op when not in the request-head phase. */
        void leaveHeadPhase() {
            if (inHeadPhase) {
                inHeadPhase = false;
                releaseHeadPhase(source);
            }
        }

        /** The channel closed: everything it held goes, once. */
        @Override
        public void operationComplete(ChannelFuture closed) {
            if (released) {
                return;
            }
            leaveHeadPhase();
            released = true;
            customers.decrementAndGet();
        }
    }
}
