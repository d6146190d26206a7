package com.proxyvault.gateway.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.proxyvault.gateway.keys.ApiKeys;
import com.proxyvault.platform.signals.CommitSignals;
import com.proxyvault.platform.time.ClockProducer;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Who an {@code rv_} key belongs to, without a database round trip per request (issue 6, "Fast path";
 * docs/api.md, "API keys"). Keys are looked up by their SHA-256 (only hashes are stored), the stored
 * hash is compared again in constant time, and the answer is cached for at most
 * {@code proxyvault.gateway.key-cache-ttl} (2 s). Revocation reaches every gateway replica at once: a
 * trigger on {@code api_keys} notifies channel {@value #REVOKED_CHANNEL} on commit and every replica
 * empties its cache ({@link CommitSignals}); the short TTL bounds staleness to 2 s even while that
 * listening connection is down. Unknown keys are never cached, so made-up keys cannot fill memory (and
 * their 401s feed {@link FailedAuthentications}).
 *
 * <p>{@code last_used_at} is written behind, batched, at most once a minute per key: a read must not
 * become a write. The lookup uses the reactive SQL client directly, not Panache, because it runs on the
 * public port's event loops outside any Hibernate session (docs/conventions.md, "Data access").
 */
@Singleton
public class ApiKeyAuthenticator {

    static final String REVOKED_CHANNEL = "api_keys_revoked";
    private static final Logger LOG = Logger.getLogger(ApiKeyAuthenticator.class);

    /** The key behind a request: its row id and the reseller it acts for. */
    public record Authenticated(long keyId, long resellerId) {
    }

    private final Pool pool;
    private final Clock clock;
    private final CommitSignals signals;
    private final Cache<String, Authenticated> cache;
    private final Set<Long> usedSinceFlush = ConcurrentHashMap.newKeySet();

    public ApiKeyAuthenticator(Pool pool, Clock clock, CommitSignals signals,
                               @ConfigProperty(name = "proxyvault.gateway.key-cache-ttl", defaultValue = "2s") Duration ttl) {
        this.pool = pool;
        this.clock = clock;
        this.signals = signals;
        this.cache = Caffeine.newBuilder().expireAfterWrite(ttl).maximumSize(100_000).build();
    }

    void listen(@Observes StartupEvent started) {
        signals.listen(REVOKED_CHANNEL, this::forgetAll);
    }

    /** Drops every cached key: called on every revocation commit and after the listener reconnects. */
    public void forgetAll() {
        cache.invalidateAll();
    }

    /**
     * The live key {@code presentedKey} names, or a future of {@code null} when it is unknown or revoked.
     * Fails only when the database cannot be reached.
     */
    public Future<Authenticated> authenticate(String presentedKey) {
        String hash = ApiKeys.hash(presentedKey);
        Authenticated cached = cache.getIfPresent(hash);
        if (cached != null) {
            usedSinceFlush.add(cached.keyId());
            return Future.succeededFuture(cached);
        }
        return pool.preparedQuery("select id, reseller_id, key_hash from api_keys where key_hash = $1 and revoked_at is null")
                .execute(Tuple.of(hash))
                .map(rows -> {
                    if (rows.rowCount() == 0) {
                        return null;
                    }
                    Row row = rows.iterator().next();
                    // The index found the row by hash; compare again without an early exit on the first
                    // differing byte, so the comparison itself leaks nothing about stored hashes.
                    if (!MessageDigest.isEqual(row.getString("key_hash").getBytes(StandardCharsets.US_ASCII),
                            hash.getBytes(StandardCharsets.US_ASCII))) {
                        return null;
                    }
                    Authenticated key = new Authenticated(row.getLong("id"), row.getLong("reseller_id"));
                    cache.put(hash, key);
                    usedSinceFlush.add(key.keyId());
                    return key;
                });
    }

    /** Writes {@code last_used_at} (to the minute) for the keys used since the last flush, in one statement. */
    @Scheduled(every = "${proxyvault.gateway.last-used-flush:30s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    CompletionStage<Void> flushScheduled() {
        return flushLastUsed().toCompletionStage();
    }

    /** The flush itself (tests call it to see {@code last_used_at} without waiting for the schedule). */
    public Future<Void> flushLastUsed() {
        if (usedSinceFlush.isEmpty()) {
            return Future.succeededFuture();
        }
        List<Long> ids = new ArrayList<>(usedSinceFlush);
        ids.forEach(usedSinceFlush::remove);
        LocalDateTime now = ClockProducer.utcNow(clock);
        return pool.preparedQuery("update api_keys set last_used_at = $1::timestamp where id = any($2)"
                        + " and (last_used_at is null or last_used_at < $1::timestamp - interval '60 seconds')")
                .execute(Tuple.tuple().addLocalDateTime(now).addArrayOfLong(ids.toArray(Long[]::new)))
                .onFailure(e -> LOG.warnf("Recording last use of %d API keys failed (retried next flush): %s", ids.size(), e.toString()))
                .onFailure(e -> usedSinceFlush.addAll(ids))
                .<Void>mapEmpty()
                .otherwiseEmpty();
    }
}
