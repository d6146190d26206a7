package com.proxyvault.platform.http;

import org.junit.jupiter.api.Test;

import java.sql.SQLException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link ForwardedIdempotencyKey}: the header's rule, and the unique index's refusal however it is wrapped. */
class ForwardedIdempotencyKeyTest {

    @Test
    void shouldTakeTheGatewaysKeysAndRefuseAnythingElseWith422() {
        assertNull(ForwardedIdempotencyKey.of(null));
        assertEquals("order-42", ForwardedIdempotencyKey.of("order-42"));
        assertEquals("k".repeat(255), ForwardedIdempotencyKey.of("k".repeat(255)));
        for (String bad : new String[] {"", "k".repeat(256), "caf\u00e9", "tab\there"}) {
            assertEquals(422, assertThrows(ApiException.class, () -> ForwardedIdempotencyKey.of(bad)).status(), bad);
        }
        assertEquals("idempotency_key_reused", ForwardedIdempotencyKey.reused("order").code());
    }

    /** Through Hibernate Reactive's session the 23505 arrives as an SQLException, wrapped (static review, stop 32, M2). */
    @Test
    void shouldSeeTheUniqueIndexRefusalAsTheClientsOrAsHibernatesException() {
        assertTrue(ForwardedIdempotencyKey.isKeyTaken(new RuntimeException(new SQLException("duplicate key", "23505"))));
        assertTrue(ForwardedIdempotencyKey.isKeyTaken(new io.vertx.pgclient.PgException("duplicate key", "ERROR", "23505", null)));
        assertFalse(ForwardedIdempotencyKey.isKeyTaken(new RuntimeException(new SQLException("check", "23514"))));
        assertFalse(ForwardedIdempotencyKey.isKeyTaken(new IllegalStateException("no SQL at all")));
    }
}
