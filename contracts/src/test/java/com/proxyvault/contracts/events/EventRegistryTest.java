package com.proxyvault.contracts.events;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EventRegistryTest {

    @Test
    void shouldNameEachWebhookEventOnceIncludingTheSeedsThree() {
        List<String> names = EventRegistry.names();
        assertEquals(names.size(), new HashSet<>(names).size(), "unique: " + names);
        assertTrue(names.containsAll(List.of(EventTypes.ORDER_PAID, EventTypes.PROXY_PROVISIONED, EventTypes.PROXY_EXPIRED)));
        assertTrue(names.containsAll(List.of("order.failed", "order.cancelled", "proxy.expiring", "proxy.ip_rotated", "proxy.rotation_failed",
                "proxy.offline", "webhook.test")));
    }

    @Test
    void shouldKeepInternalEventsOutOfWebhooks() {
        for (String internal : List.of(EventTypes.CHARGE_POSTED, EventTypes.PROXY_PROVISIONING, EventTypes.PROXY_PROVISION_FAILED)) {
            assertFalse(EventRegistry.find(internal).isPresent(), internal);
        }
    }

    @Test
    void shouldConsumeOnlyEventsThatTravelOnKafkaFromTheOrderAndProxyFamilies() {
        // webhook-service subscribes to ${prefix}(order|proxy)[.]... : a Kafka event of another family would be missed.
        for (String topic : EventRegistry.kafkaTopics()) {
            assertTrue(topic.matches("(order|proxy)[.][a-z_.]+"), topic);
        }
        assertFalse(EventRegistry.kafkaTopics().contains("webhook.test"));
    }
}
