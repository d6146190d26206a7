package com.proxyvault.gateway.forwarding;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** A service listed with several instances (the local stack's two fleet replicas) is taken in turn. */
class UpstreamsTest {

    private final Upstreams upstreams = new Upstreams() {
        @Override
        public Map<String, String> upstreams() {
            return Map.of("fleet", "http://127.0.0.1:8083, http://127.0.0.1:8085", "billing", "http://127.0.0.1:8081");
        }

        @Override
        public Duration upstreamTimeout() {
            return Duration.ofSeconds(10);
        }
    };

    @Test
    void shouldTakeTheListedInstancesInTurn() {
        Set<String> seen = new HashSet<>();
        String previous = upstreams.baseUrl("fleet");
        seen.add(previous);
        for (int i = 0; i < 5; i++) {
            String next = upstreams.baseUrl("fleet");
            seen.add(next);
            if (next.equals(previous)) {
                throw new AssertionError("the same instance twice in a row: " + next);
            }
            previous = next;
        }
        assertEquals(Set.of("http://127.0.0.1:8083", "http://127.0.0.1:8085"), seen);
    }

    @Test
    void shouldKeepASingleInstanceAndKnowNoOtherService() {
        assertEquals("http://127.0.0.1:8081", upstreams.baseUrl("billing"));
        assertEquals("http://127.0.0.1:8081", upstreams.baseUrlFor("balance").orElseThrow());
        assertNull(upstreams.baseUrl("nothing"));
    }
}
