package com.proxyvault.platform.logging;

import io.quarkus.logging.LoggingFilter;
import org.jboss.logmanager.ExtLogRecord;

import java.util.List;
import java.util.logging.Filter;
import java.util.logging.Level;
import java.util.logging.LogRecord;

/**
 * Drops two kinds of log line that report, as a problem, an event the code already handles, and nothing else
 * (docs/operations.md "Known noise is not logged"). Attached by each service's {@code quarkus.log.console.filter=known-noise}
 * (one name per handler, so both rules live in this one filter).
 *
 * <ol>
 *   <li><b>Peer resets.</b> Vert.x' bare {@code ERROR [io.ver.cor.net.imp.ConnectionBase] Connection reset}: what Vert.x
 *   logs, at ERROR and with nothing but the exception's message, when the other side resets a pooled connection that no
 *   request was using (a service instance killed or restarted: the scale drill, a rolling update) or a client resets one
 *   of ours. No request failed then (a request in flight gets the failure itself, and is logged by its caller with its
 *   context), and the pool opens a new connection for the next one; yet every such reset looked like an outage in the
 *   logs (new-user review, stop 25; upstream: quarkusio/quarkus#38335). Only that exact shape is dropped: the logger
 *   {@value #VERTX_CONNECTION}, no throwable attached, a message that is a peer's reset or a write to a closed peer
 *   ({@link #PEER_RESETS}). With that logger at DEBUG, Vert.x logs the same event with its stack trace, which passes.</li>
 *   <li><b>Unique violations, as Hibernate warns of them.</b> Hibernate logs every SQL error a statement of a session
 *   meets as two WARN lines on {@value #HIBERNATE_SQL_ERRORS} ({@code HHH000247: ErrorCode: 0, SQLState: 23505}, then
 *   PostgreSQL's message ending in {@code (23505)}) before the exception reaches our code. A unique violation is how two
 *   requests with one idempotency key meet ({@code orders_by_idempotency_key}, {@code webhooks_by_idempotency_key}): the
 *   loser reads the winner's row and answers as it did (platform {@code ForwardedIdempotencyKey}), so each lost race
 *   left two warnings for a request that succeeded (stop 34's leftovers). Only SQL state 23505 on that logger at WARN is
 *   dropped: a unique violation our code does not handle still fails its request, and the exception mappers log it at
 *   ERROR with its stack ({@code ApiExceptionMappers}: "Unhandled database error"); every other SQL state still warns.</li>
 * </ol>
 */
@LoggingFilter(name = KnownNoiseFilter.NAME)
public final class KnownNoiseFilter implements Filter {

    /** The name {@code quarkus.log.console.filter} refers to. */
    public static final String NAME = "known-noise";
    /** Vert.x' connection base class, which logs an exception no handler took. */
    static final String VERTX_CONNECTION = "io.vertx.core.net.impl.ConnectionBase";
    /**
     * The messages of a reset or closed peer: the JDK's ({@code Connection reset}, {@code Broken pipe}) and Netty's
     * native transport's ({@code recvAddress(..) failed: Connection reset by peer}), matched at the end.
     */
    static final List<String> PEER_RESETS = List.of("Connection reset", "Connection reset by peer", "Broken pipe");
    /** Hibernate 7's logger of the SQL errors its statements meet ({@code SQLExceptionLogging}). */
    static final String HIBERNATE_SQL_ERRORS = "org.hibernate.orm.jdbc.error";
    /** PostgreSQL's SQL state of a unique violation (PostgreSQL manual, appendix A). */
    static final String UNIQUE_VIOLATION = "23505";

    @Override
    public boolean isLoggable(LogRecord record) {
        return !isBarePeerReset(record) && !isUniqueViolationWarning(record);
    }

    private static boolean isBarePeerReset(LogRecord record) {
        String message = record.getMessage();
        return VERTX_CONNECTION.equals(record.getLoggerName()) && record.getThrown() == null
                && message != null && PEER_RESETS.stream().anyMatch(message::endsWith);
    }

    /** Both of Hibernate's lines: {@code ErrorCode: 0, SQLState: 23505} and {@code ERROR: duplicate key … (23505)}. */
    private static boolean isUniqueViolationWarning(LogRecord record) {
        // by value: JBoss Logging's WARN is org.jboss.logmanager.Level.WARN, another object than the JDK's WARNING
        if (!HIBERNATE_SQL_ERRORS.equals(record.getLoggerName()) || record.getLevel().intValue() != Level.WARNING.intValue()) {
            return false;
        }
        String message = record instanceof ExtLogRecord ext ? ext.getFormattedMessage() : record.getMessage();
        return message != null && (message.endsWith("SQLState: " + UNIQUE_VIOLATION) || message.endsWith("(" + UNIQUE_VIOLATION + ")"));
    }
}
