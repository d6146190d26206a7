package com.proxyvault.agent.link;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ReconnectBackoffTest {

    @Test
    void shouldDoubleUpToTheCapAndStartOverAfterReset() {
        ReconnectBackoff backoff = new ReconnectBackoff(Duration.ofSeconds(1), Duration.ofSeconds(5));

        assertEquals(Duration.ofSeconds(1), backoff.nextDelay());
        assertEquals(Duration.ofSeconds(2), backoff.nextDelay());
        assertEquals(Duration.ofSeconds(4), backoff.nextDelay());
        assertEquals(Duration.ofSeconds(5), backoff.nextDelay());
        assertEquals(Duration.ofSeconds(5), backoff.nextDelay());

        backoff.reset();
        assertEquals(Duration.ofSeconds(1), backoff.nextDelay());
    }
}
