package com.proxyvault.agent.proxy;

import java.time.Duration;

/**
 * Limits and timeouts of the customer side of every proxy listener, and the agent's limits over all of them (connections
 * in their request-head phase, descriptors, buffered request bodies: docs/fleet.md "Connection limits").
 *
 * @param maxRequestLineBytes longest HTTP request line accepted, in bytes as sent: method, target and version
 *                            with their spaces, not the CRLF (RFC 9112 3); longer → {@code 414 URI Too Long}
 *                            (RFC 9110 15.5.15) and the connection closes. At least 8 KiB (RFC 9112 3 recommends
 *                            supporting request lines of 8000 octets); default 64 KiB like squid
 * @param maxHeaderBytes      largest HTTP header block accepted, in bytes as sent: every field line with its CRLF
 *                            (RFC 9112 2.1), not the request line nor the empty line that ends the head; larger →
 *                            {@code 431 Request Header Fields Too Large} (RFC 6585 5) and the connection closes.
 *                            At least 8 KiB (issue 8); counted exactly by {@code ProtocolDetector.RequestHeadWatch}
 * @param requestHeadTimeout  how long a client may take, from connecting or from the end of the previous
 *                            answer, to send a complete HTTP request head or to finish the SOCKS5 handshake
 *                            (greeting, authentication and command); past it the connection is closed
 *                            without an answer (a half-sent request line is not worth one). Also the longest a
 *                            CONNECT/SOCKS tunnel may pass no byte once its customer has sent FIN (the answer
 *                            must keep coming; see {@link ConnectionTimeouts})
 * @param idleTimeout         how long a connection (a keep-alive wait, a CONNECT/SOCKS tunnel, a response
 *                            being relayed) may pass no byte in either direction before it is closed
 * @param maxHeadPhaseConnectionsPerSource customer connections from one source (an IPv4 address, an IPv6 /64) that
 *                            may be in their request-head phase at once, over all proxies of the agent (accepted, no
 *                            complete request yet: see {@link ConnectionLimits}); one more is reset at accept. Default
 *                            256
 * @param maxHeadPhaseConnections the same over all sources; default 4,096
 * @param maxOpenFiles        descriptors the process may hold: its LimitNOFILE, read at start
 *                            ({@link ConnectionLimits#processMaxOpenFiles()}) unless configured
 * @param reservedFiles       descriptors kept for everything but customer connections, their origins and the listening
 *                            sockets (jars, the fleet link, the health port, mmcli and nft pipes); customer connections
 *                            are taken while {@code 2 × customers + listening sockets + reservedFiles ≤ maxOpenFiles}.
 *                            Default 1,024, or a quarter of {@code maxOpenFiles} when that is less
 * @param requestBodyBudgetBytes bytes of HTTP request bodies the agent holds at once while aggregating and forwarding
 *                            them, over all connections (bodies are buffered whole, up to 16 MiB each); a request whose
 *                            body does not fit gets {@code 503} with {@code Retry-After: 1} ({@link BodyBudget}). Default a
 *                            quarter of the maximum heap (Netty's direct memory is capped at the maximum heap by default)
 */
public record ProxySettings(int maxRequestLineBytes, int maxHeaderBytes, Duration requestHeadTimeout, Duration idleTimeout,
                            int maxHeadPhaseConnectionsPerSource, int maxHeadPhaseConnections, long maxOpenFiles,
                            int reservedFiles, long requestBodyBudgetBytes) {

    /** RFC 9112 section 3: a server should support request lines of at least 8000 octets. */
    public static final int MIN_REQUEST_LINE_BYTES = 8 * 1024;

    public static final int DEFAULT_MAX_HEAD_PHASE_CONNECTIONS_PER_SOURCE = 256;
    public static final int DEFAULT_MAX_HEAD_PHASE_CONNECTIONS = 4_096;

    public static final ProxySettings DEFAULTS = new ProxySettings(64 * 1024, 64 * 1024, Duration.ofSeconds(30), Duration.ofMinutes(5));

    /** The limits of one listener, with the agent-wide limits at their defaults. */
    public ProxySettings(int maxRequestLineBytes, int maxHeaderBytes, Duration requestHeadTimeout, Duration idleTimeout) {
        this(maxRequestLineBytes, maxHeaderBytes, requestHeadTimeout, idleTimeout, DEFAULT_MAX_HEAD_PHASE_CONNECTIONS_PER_SOURCE,
                DEFAULT_MAX_HEAD_PHASE_CONNECTIONS, ConnectionLimits.processMaxOpenFiles(),
                defaultReservedFiles(ConnectionLimits.processMaxOpenFiles()), defaultRequestBodyBudgetBytes());
    }

    /**
     * 1,024 descriptors, generous for what the agent holds besides customer connections (some 200 jars of the Quarkus
     * application, the fleet link, the health port, a few pipes while mmcli or nft runs, the resolver's sockets), or a
     * quarter of {@code maxOpenFiles} on a host that allows fewer than 4,096 (a developer's shell), so the agent still
     * takes connections there.
     */
    public static int defaultReservedFiles(long maxOpenFiles) {
        return (int) Math.min(1024, maxOpenFiles / 4);
    }

    /** A quarter of the maximum heap: 96 MiB under the unit's {@code -Xmx384m}. */
    public static long defaultRequestBodyBudgetBytes() {
        return Runtime.getRuntime().maxMemory() / 4;
    }

    public ProxySettings {
        if (maxRequestLineBytes < MIN_REQUEST_LINE_BYTES) {
            throw new IllegalArgumentException("max request line must be at least " + MIN_REQUEST_LINE_BYTES + " bytes, got " + maxRequestLineBytes);
        }
        if (maxHeaderBytes < MIN_REQUEST_LINE_BYTES) {
            throw new IllegalArgumentException("max header block must be at least " + MIN_REQUEST_LINE_BYTES + " bytes, got " + maxHeaderBytes);
        }
        if (requestHeadTimeout.isNegative() || requestHeadTimeout.isZero() || idleTimeout.isNegative() || idleTimeout.isZero()) {
            throw new IllegalArgumentException("timeouts must be positive");
        }
        if (maxHeadPhaseConnectionsPerSource < 1 || maxHeadPhaseConnections < 1) {
            throw new IllegalArgumentException("request-head phase limits must be at least 1, got " + maxHeadPhaseConnectionsPerSource
                    + " per source and " + maxHeadPhaseConnections + " in all");
        }
        if (reservedFiles < 0 || maxOpenFiles - reservedFiles < 2) {
            throw new IllegalArgumentException("with " + maxOpenFiles + " open files allowed and " + reservedFiles
                    + " reserved no customer connection fits: raise LimitNOFILE (docs/fleet.md \"Connection limits\")");
        }
        if (requestBodyBudgetBytes < 0) {
            throw new IllegalArgumentException("request body budget must not be negative, got " + requestBodyBudgetBytes);
        }
    }

    public ProxySettings withTimeouts(Duration requestHead, Duration idle) {
        return new ProxySettings(maxRequestLineBytes, maxHeaderBytes, requestHead, idle, maxHeadPhaseConnectionsPerSource,
                maxHeadPhaseConnections, maxOpenFiles, reservedFiles, requestBodyBudgetBytes);
    }

    /** These caps on connections in their request-head phase, per source and in all. */
    public ProxySettings withHeadPhaseLimits(int perSource, int inAll) {
        return new ProxySettings(maxRequestLineBytes, maxHeaderBytes, requestHeadTimeout, idleTimeout, perSource, inAll,
                maxOpenFiles, reservedFiles, requestBodyBudgetBytes);
    }

    /** This descriptor limit and reserve instead of the process's. */
    public ProxySettings withOpenFiles(long max, int reserved) {
        return new ProxySettings(maxRequestLineBytes, maxHeaderBytes, requestHeadTimeout, idleTimeout, maxHeadPhaseConnectionsPerSource,
                maxHeadPhaseConnections, max, reserved, requestBodyBudgetBytes);
    }

    /** This budget for buffered request bodies, in bytes. */
    public ProxySettings withRequestBodyBudget(long bytes) {
        return new ProxySettings(maxRequestLineBytes, maxHeaderBytes, requestHeadTimeout, idleTimeout, maxHeadPhaseConnectionsPerSource,
                maxHeadPhaseConnections, maxOpenFiles, reservedFiles, bytes);
    }
}
