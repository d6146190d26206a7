package com.proxyvault.gateway.ratelimit;

import io.smallrye.mutiny.Uni;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The sliding log in this JVM: per key, the times (epoch ms) of the requests allowed in the last window,
 * oldest first, at most {@code limit} of them. Exact for one replica; with several, each counts only what
 * it saw. Also the fallback of {@link RedisRateLimitStore} (see {@link RateLimiter}).
 */
final class MemoryRateLimitStore implements RateLimitStore {

    /** Logs of keys idle for a whole window are dropped once this many keys have been seen. */
    static final int EVICT_ABOVE = 10_000;

    private final int limit;
    private final long windowMillis;
    private final Map<String, Deque<Long>> logs = new ConcurrentHashMap<>();

    MemoryRateLimitStore(int limit, long windowMillis) {
        this.limit = limit;
        this.windowMillis = windowMillis;
    }

    @Override
    public Uni<RateLimiter.Decision> acquire(String keyId, long nowMillis) {
        return Uni.createFrom().item(decide(keyId, nowMillis));
    }

    /** {@link #acquire} without the Uni: the decision is made in memory, at once. */
    RateLimiter.Decision decide(String keyId, long nowMillis) {
        Deque<Long> log = log(keyId, nowMillis);
        synchronized (log) {
            trim(log, nowMillis);
            boolean allowed = log.size() < limit;
            if (allowed) {
                log.addLast(latest(log, nowMillis));
            }
            return RateLimiter.Decision.of(allowed, limit, windowMillis, log.size(), log.peekFirst() + windowMillis - nowMillis);
        }
    }

    /**
     * Records a request another store allowed, without deciding: while Redis decides, this keeps the
     * replica's own recent traffic, so a Redis outage does not hand every key a fresh quota.
     */
    void remember(String keyId, long nowMillis) {
        Deque<Long> log = log(keyId, nowMillis);
        synchronized (log) {
            trim(log, nowMillis);
            if (log.size() >= limit) {
                log.pollFirst(); // only the newest `limit` entries can ever matter
            }
            log.addLast(latest(log, nowMillis));
        }
    }

    /** Keeps the log ordered even if the wall clock steps back, so its first entry stays the oldest. */
    private static long latest(Deque<Long> log, long nowMillis) {
        return log.isEmpty() ? nowMillis : Math.max(nowMillis, log.peekLast());
    }

    private Deque<Long> log(String keyId, long nowMillis) {
        if (logs.size() > EVICT_ABOVE) {
            evictIdle(nowMillis);
        }
        return logs.computeIfAbsent(keyId, k -> new ArrayDeque<>());
    }

    /** Drops what left the window: an entry exactly one window old no longer counts. */
    private void trim(Deque<Long> log, long nowMillis) {
        while (!log.isEmpty() && log.peekFirst() <= nowMillis - windowMillis) {
            log.pollFirst();
        }
    }

    private void evictIdle(long nowMillis) {
        logs.entrySet().removeIf(entry -> {
            Deque<Long> log = entry.getValue();
            synchronized (log) {
                Long last = log.peekLast();
                return last == null || last <= nowMillis - windowMillis;
            }
        });
    }
}
