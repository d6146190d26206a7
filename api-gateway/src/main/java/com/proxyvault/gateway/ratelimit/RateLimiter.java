package com.proxyvault.gateway.ratelimit;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A rolling one-minute window per API key: a request is allowed when fewer than the limit were allowed
 * in the 60 seconds before it. In-process: with several gateway replicas each one counts its own
 * requests, until the Redis-backed limiter (DESIGN.md) replaces this.
 */
@ApplicationScoped
public class RateLimiter {

    private static final long WINDOW_MILLIS = 60_000;

    /** Windows of keys idle for a minute are dropped once this many keys have been seen. */
    private static final int EVICT_ABOVE = 10_000;

    private final int limit;
    private final Map<String, Deque<Long>> windows = new ConcurrentHashMap<>();

    public RateLimiter(@ConfigProperty(name = "proxyvault.gateway.rate-limit.requests-per-minute") int limit) {
        this.limit = limit;
    }

    public record Decision(boolean allowed, int limit, int remaining, long retryAfterSeconds) {
    }

    public Decision tryAcquire(String keyHash) {
        return tryAcquire(keyHash, System.currentTimeMillis());
    }

    Decision tryAcquire(String keyHash, long nowMillis) {
        if (windows.size() > EVICT_ABOVE) {
            evictIdle(nowMillis);
        }
        Deque<Long> window = windows.computeIfAbsent(keyHash, k -> new ArrayDeque<>());
        synchronized (window) {
            while (!window.isEmpty() && window.peekFirst() <= nowMillis - WINDOW_MILLIS) {
                window.pollFirst();
            }
            if (window.size() >= limit) {
                long retryAfterMillis = window.peekFirst() + WINDOW_MILLIS - nowMillis;
                return new Decision(false, limit, 0, Math.max(1, (retryAfterMillis + 999) / 1000));
            }
            window.addLast(nowMillis);
            return new Decision(true, limit, limit - window.size(), 0);
        }
    }

    private void evictIdle(long nowMillis) {
        windows.entrySet().removeIf(entry -> {
            Deque<Long> window = entry.getValue();
            synchronized (window) {
                Long last = window.peekLast();
                return last == null || last <= nowMillis - WINDOW_MILLIS;
            }
        });
    }
}
