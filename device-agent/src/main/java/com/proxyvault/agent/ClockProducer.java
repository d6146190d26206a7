package com.proxyvault.agent;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import java.time.Clock;

/**
 * The agent's one source of "now" (UTC): inject {@link Clock} wherever time is read, so tests can pin it.
 * (platform has the same producer, but none of platform's beans are indexed in the agent.)
 */
@ApplicationScoped
public class ClockProducer {

    @Produces
    @Singleton
    Clock clock() {
        return Clock.systemUTC();
    }
}
