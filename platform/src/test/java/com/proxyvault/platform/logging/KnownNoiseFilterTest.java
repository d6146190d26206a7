package com.proxyvault.platform.logging;

import org.jboss.logmanager.ExtLogRecord;
import org.junit.jupiter.api.Test;

import java.net.SocketException;
import java.util.logging.Level;
import java.util.logging.LogRecord;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KnownNoiseFilterTest {

    /** The level JBoss Logging (Hibernate) logs a warning at: not the JDK's {@code Level.WARNING} object, the same value. */
    private static final Level WARN = org.jboss.logmanager.Level.WARN;
    private final KnownNoiseFilter filter = new KnownNoiseFilter();

    @Test
    void shouldDropVertxBareConnectionResetLines() {
        assertFalse(filter.isLoggable(record(KnownNoiseFilter.VERTX_CONNECTION, "Connection reset", null)));
        assertFalse(filter.isLoggable(record(KnownNoiseFilter.VERTX_CONNECTION, "recvAddress(..) failed: Connection reset by peer", null)));
        assertFalse(filter.isLoggable(record(KnownNoiseFilter.VERTX_CONNECTION, "writevAddresses(..) failed: Broken pipe", null)));
    }

    @Test
    void shouldKeepEverythingElse() {
        // with the logger at DEBUG, Vert.x attaches the exception: an operator asked to see them
        assertTrue(filter.isLoggable(record(KnownNoiseFilter.VERTX_CONNECTION, "Connection reset", new SocketException("Connection reset"))));
        assertTrue(filter.isLoggable(record(KnownNoiseFilter.VERTX_CONNECTION, "Connection refused", null)));
        assertTrue(filter.isLoggable(record(KnownNoiseFilter.VERTX_CONNECTION, null, null)));
        assertTrue(filter.isLoggable(record("com.proxyvault.gateway.forwarding.UpstreamInstances", "Connection reset", null)));
    }

    @Test
    void shouldDropHibernatesWarningsOfAUniqueViolation() {
        // the two lines a same-key race's loser left (order-service RenewalOrderTest, stop 35), as JBoss Logging makes them
        ExtLogRecord code = new ExtLogRecord(WARN, "HHH000247: ErrorCode: %s, SQLState: %s", ExtLogRecord.FormatStyle.PRINTF,
                KnownNoiseFilter.class.getName());
        code.setParameters(new Object[] {0, "23505"});
        code.setLoggerName(KnownNoiseFilter.HIBERNATE_SQL_ERRORS);
        assertFalse(filter.isLoggable(code));
        assertFalse(filter.isLoggable(hibernate(WARN,
                "ERROR: duplicate key value violates unique constraint \"orders_by_idempotency_key\" (23505)")));
    }

    @Test
    void shouldKeepHibernatesOtherSqlErrorsAndEveryoneElsesUniqueViolations() {
        ExtLogRecord deadlock = new ExtLogRecord(WARN, "HHH000247: ErrorCode: %s, SQLState: %s",
                ExtLogRecord.FormatStyle.PRINTF, KnownNoiseFilter.class.getName());
        deadlock.setParameters(new Object[] {0, "40P01"});
        deadlock.setLoggerName(KnownNoiseFilter.HIBERNATE_SQL_ERRORS);
        assertTrue(filter.isLoggable(deadlock));
        assertTrue(filter.isLoggable(hibernate(Level.WARNING, "ERROR: deadlock detected (40P01)")));
        assertTrue(filter.isLoggable(hibernate(Level.SEVERE, "ERROR: duplicate key value violates unique constraint \"x\" (23505)")));
        // the exception mappers' own line for a unique violation no code handled
        assertTrue(filter.isLoggable(record("com.proxyvault.platform.http.ApiExceptionMappers", "Unhandled database error (23505)", null)));
    }

    private static LogRecord hibernate(Level level, String message) {
        LogRecord record = new LogRecord(level, message);
        record.setLoggerName(KnownNoiseFilter.HIBERNATE_SQL_ERRORS);
        return record;
    }

    private static LogRecord record(String logger, String message, Throwable thrown) {
        LogRecord record = new LogRecord(Level.SEVERE, message);
        record.setLoggerName(logger);
        record.setThrown(thrown);
        return record;
    }
}
