package com.proxyvault.webhooks.events;

import io.vertx.sqlclient.SqlConnectOptions;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fan-out statement stays a prepared statement the Vert.x client keeps: one longer than the client's cache
 * limit is parsed again at every execution, a round trip (and a PostgreSQL transaction) more per poll, with no
 * error anywhere (measured: 1.3 → 2.3 transactions per event fanned out alone).
 */
class EventFanoutStatementTest {

    @Test
    void shouldKeepTheFanOutStatementWithinThePreparedStatementCacheLimit() {
        assertTrue(EventFanout.FAN_OUT.length() <= SqlConnectOptions.DEFAULT_PREPARED_STATEMENT_CACHE_SQL_LIMIT,
                EventFanout.FAN_OUT.length() + " characters: shorten it, or it is parsed again at every execution");
        assertFalse(EventFanout.FAN_OUT.contains("  "), "one line, single spaces");
    }
}
