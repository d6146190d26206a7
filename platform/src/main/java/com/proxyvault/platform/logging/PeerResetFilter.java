package com.proxyvault.platform.logging;

import io.quarkus.logging.LoggingFilter;

import java.util.List;
import java.util.logging.Filter;
import java.util.logging.LogRecord;

/**
 * Drops Vert.x' bare {@code ERROR [io.ver.cor.net.imp.ConnectionBase] Connection reset} lines: what Vert.x logs, at
 * ERROR and with nothing but the exception's message, when the other side resets a pooled connection that no request
 * was using (a service instance killed or restarted: the scale drill, a rolling update) or a client resets one of
 * ours. No request failed then (a request in flight gets the failure itself, and is logged by its caller with its
 * context), and the pool opens a new connection for the next one; yet every such reset looked like an outage in the
 * logs (new-user review, stop 25; upstream: quarkusio/quarkus#38335). Only that exact shape is dropped: the
 * logger {@value #LOGGER}, no throwable attached, a message that is a peer's reset or a write to a closed peer
 * ({@link #PEER_RESETS}). With that logger at DEBUG, Vert.x logs the same event with its stack trace, which passes,
 * so an operator can still see each one (docs/operations.md "Logs").
 *
 * <p>Attached by each service's {@code quarkus.log.console.filter=peer-resets}.
 */
@LoggingFilter(name = PeerResetFilter.NAME)
public final class PeerResetFilter implements Filter {

    /** The name {@code quarkus.log.console.filter} refers to. */
    public static final String NAME = "peer-resets";
    /** Vert.x' connection base class, which logs an exception no handler took. */
    static final String LOGGER = "io.vertx.core.net.impl.ConnectionBase";
    /**
     * The messages of a reset or closed peer: the JDK's ({@code Connection reset}, {@code Broken pipe}) and Netty's
     * native transport's ({@code recvAddress(..) failed: Connection reset by peer}), matched at the end.
     */
    static final List<String> PEER_RESETS = List.of("Connection reset", "Connection reset by peer", "Broken pipe");

    @Override
    public boolean isLoggable(LogRecord record) {
        return !(LOGGER.equals(record.getLoggerName()) && record.getThrown() == null && isPeerReset(record.getMessage()));
    }

    private static boolean isPeerReset(String message) {
        return message != null && PEER_RESETS.stream().anyMatch(message::endsWith);
    }
}
