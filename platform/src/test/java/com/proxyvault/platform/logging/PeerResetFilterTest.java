package com.proxyvault.platform.logging;

import org.junit.jupiter.api.Test;

import java.net.SocketException;
import java.util.logging.Level;
import java.util.logging.LogRecord;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PeerResetFilterTest {

    private final PeerResetFilter filter = new PeerResetFilter();

    @Test
    void shouldDropVertxBareConnectionResetLines() {
        assertFalse(filter.isLoggable(record(PeerResetFilter.LOGGER, "Connection reset", null)));
        assertFalse(filter.isLoggable(record(PeerResetFilter.LOGGER, "recvAddress(..) failed: Connection reset by peer", null)));
        assertFalse(filter.isLoggable(record(PeerResetFilter.LOGGER, "writevAddresses(..) failed: Broken pipe", null)));
    }

    @Test
    void shouldKeepEverythingElse() {
        // with the logger at DEBUG, Vert.x attaches the exception: an operator asked to see them
        assertTrue(filter.isLoggable(record(PeerResetFilter.LOGGER, "Connection reset", new SocketException("Connection reset"))));
        assertTrue(filter.isLoggable(record(PeerResetFilter.LOGGER, "Connection refused", null)));
        assertTrue(filter.isLoggable(record(PeerResetFilter.LOGGER, null, null)));
        assertTrue(filter.isLoggable(record("com.proxyvault.gateway.forwarding.UpstreamInstances", "Connection reset", null)));
    }

    private static LogRecord record(String logger, String message, Throwable thrown) {
        LogRecord record = new LogRecord(Level.SEVERE, message);
        record.setLoggerName(logger);
        record.setThrown(thrown);
        return record;
    }
}
