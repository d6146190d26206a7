package com.proxyvault.platform.events;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletionException;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A handler's {@link Refusal} is deterministic (one retry, then parked); any other failure of its code is not. */
class RefusalTest {

    private static final class Refused extends IllegalStateException implements Refusal {
        Refused() {
            super("no");
        }
    }

    @Test
    void shouldTreatARefusalAsDeterministicAlsoWhenWrapped() {
        assertTrue(EventConsumer.isDeterministic(new Refused()));
        assertTrue(EventConsumer.isDeterministic(new CompletionException(new Refused())));
        assertFalse(EventConsumer.isDeterministic(new IllegalStateException("connection lost")));
    }
}
