package com.proxyvault.webhooks.delivery;

import io.vertx.sqlclient.SqlConnectOptions;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The claim stays a prepared statement the Vert.x client keeps (as the fan-out's, EventFanoutStatementTest): one
 * longer than the client's cache limit is parsed again at every execution, a round trip more per claim, with no
 * error anywhere.
 */
class DeliveryStoreStatementTest {

    @Test
    void shouldKeepTheClaimWithinThePreparedStatementCacheLimit() {
        assertTrue(DeliveryStore.CLAIM.length() <= SqlConnectOptions.DEFAULT_PREPARED_STATEMENT_CACHE_SQL_LIMIT,
                DeliveryStore.CLAIM.length() + " characters: shorten it, or it is parsed again at every execution");
        assertFalse(DeliveryStore.CLAIM.contains("  "), "one line, single spaces");
    }
}
