package com.proxyvault.webhooks.endpoints;

import com.proxyvault.platform.http.ApiException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EventSubscriptionTest {

    @Test
    void shouldNormalizeSpacingAndDuplicates() {
        assertEquals("order.paid,proxy.expired", EventSubscription.normalize(" order.paid , proxy.expired,order.paid, "));
        assertEquals("*", EventSubscription.normalize(" * "));
        assertEquals("*", EventSubscription.normalize("order.paid,*"));
    }

    @Test
    void shouldRefuseUnknownOrNoEvents() {
        ApiException unknown = assertThrows(ApiException.class, () -> EventSubscription.normalize("order.paid,order.refunded"));
        assertEquals(422, unknown.status());
        assertTrue(unknown.detail().contains("order.refunded"), unknown.detail());
        assertEquals(422, assertThrows(ApiException.class, () -> EventSubscription.normalize(" , ")).status());
        // Internal events are not offered to resellers.
        assertEquals(422, assertThrows(ApiException.class, () -> EventSubscription.normalize("proxy.provision_failed")).status());
    }

    @Test
    void shouldMatchStarOrListedTypes() {
        assertTrue(EventSubscription.matches("*", "proxy.expired"));
        assertTrue(EventSubscription.matches("order.paid,proxy.expired", "proxy.expired"));
        assertFalse(EventSubscription.matches("order.paid", "proxy.expired"));
    }
}
