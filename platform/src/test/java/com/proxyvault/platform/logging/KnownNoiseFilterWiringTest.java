package com.proxyvault.platform.logging;

import io.quarkus.test.junit.QuarkusTest;
import org.jboss.logmanager.ExtHandler;
import org.jboss.logmanager.LogContext;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code quarkus.log.console.filter=known-noise}, as every service sets it, puts {@link KnownNoiseFilter} on the
 * console handler of a Quarkus app that has the platform: a misspelt name or a filter Quarkus did not discover
 * would leave Vert.x' bare "Connection reset" lines, and Hibernate's warnings of a lost same-key race, in the log.
 */
@QuarkusTest
class KnownNoiseFilterWiringTest {

    @Test
    void shouldPutTheFilterOnTheConsoleHandler() {
        List<Handler> handlers = new ArrayList<>();
        collect(LogContext.getLogContext().getLogger("").getHandlers(), handlers);
        LogRecord reset = new LogRecord(Level.SEVERE, "Connection reset");
        reset.setLoggerName(KnownNoiseFilter.VERTX_CONNECTION);
        LogRecord other = new LogRecord(Level.SEVERE, "Connection refused");
        other.setLoggerName(KnownNoiseFilter.VERTX_CONNECTION);
        List<Handler> filtering = handlers.stream()
                .filter(h -> h.getFilter() != null && !h.getFilter().isLoggable(reset)).toList();
        assertFalse(filtering.isEmpty(), "no log handler drops a bare peer reset: " + handlers);
        assertTrue(filtering.stream().allMatch(h -> h.getFilter().isLoggable(other)));
        LogRecord lostRace = new LogRecord(Level.WARNING, "ERROR: duplicate key value violates unique constraint \"k\" (23505)");
        lostRace.setLoggerName(KnownNoiseFilter.HIBERNATE_SQL_ERRORS);
        assertTrue(filtering.stream().noneMatch(h -> h.getFilter().isLoggable(lostRace)), "Hibernate's unique-violation warning");
    }

    private static void collect(Handler[] handlers, List<Handler> into) {
        for (Handler handler : handlers) {
            into.add(handler);
            if (handler instanceof ExtHandler ext) {
                collect(ext.getHandlers(), into);
            }
        }
    }
}
