package com.proxyvault.gateway.keys;

import com.proxyvault.platform.time.ClockProducer;
import com.proxyvault.platform.http.ApiException;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Clock;
import java.time.LocalDateTime;
import java.util.List;

@ApplicationScoped
public class ApiKeyService {

    /** last_used_at is kept to the minute: writing it on every request would make every read a write. */
    private static final long LAST_USED_RESOLUTION_SECONDS = 60;

    private final Clock clock;

    public ApiKeyService(Clock clock) {
        this.clock = clock;
    }

    /** Now by the injected clock, UTC whole seconds (what every stored timestamp is). */
    public LocalDateTime now() {
        return ClockProducer.utcNow(clock);
    }

    public record IssuedKey(ApiKey key, String plaintext) {
    }

    /** Issues a key inside the caller's transaction; the plaintext exists only in the returned value. */
    public Uni<IssuedKey> issue(long resellerId, String name) {
        String plaintext = ApiKeys.newKey();
        ApiKey key = new ApiKey();
        key.resellerId = resellerId;
        key.name = name;
        key.keyPrefix = ApiKeys.displayPrefix(plaintext);
        key.keyHash = ApiKeys.hash(plaintext);
        key.createdAt = now();
        return key.<ApiKey>persist().map(saved -> new IssuedKey(saved, plaintext));
    }

    /** Each key has its own rate limit, so the number of live keys a reseller may hold is capped. */
    public static final int MAX_ACTIVE_KEYS = 20;

    /** {@link #issue} for a reseller's own request: refused (409) once they hold {@link #MAX_ACTIVE_KEYS} live keys. */
    public Uni<IssuedKey> issueWithinLimit(long resellerId, String name) {
        return ApiKey.count("resellerId = ?1 and revokedAt is null", resellerId).chain(live -> live >= MAX_ACTIVE_KEYS
                ? Uni.createFrom().failure(ApiException.conflict("A reseller can hold at most " + MAX_ACTIVE_KEYS
                        + " active API keys; revoke one first"))
                : issue(resellerId, name));
    }

    public Uni<List<ApiKey>> active(long resellerId) {
        return Panache.withSession(() -> ApiKey.<ApiKey>list("resellerId = ?1 and revokedAt is null order by id", resellerId));
    }

    public Uni<Void> revoke(long resellerId, long keyId) {
        return Panache.withTransaction(() -> ApiKey.update("revokedAt = ?1 where id = ?2 and resellerId = ?3 and revokedAt is null",
                        now(), keyId, resellerId))
                .invoke(updated -> {
                    if (updated == 0) {
                        throw ApiException.notFound("API key not found");
                    }
                })
                .replaceWithVoid();
    }

    /** The reseller a presented key belongs to, or null when it is unknown or revoked. */
    public Uni<Long> authenticate(String presentedKey) {
        String hash = ApiKeys.hash(presentedKey);
        return Panache.withTransaction(() -> ApiKey.<ApiKey>find("keyHash = ?1 and revokedAt is null", hash).firstResult()
                .call(key -> {
                    if (key == null) {
                        return Uni.createFrom().nullItem();
                    }
                    LocalDateTime now = now();
                    if (key.lastUsedAt == null || key.lastUsedAt.isBefore(now.minusSeconds(LAST_USED_RESOLUTION_SECONDS))) {
                        key.lastUsedAt = now;
                    }
                    return Uni.createFrom().nullItem();
                })
                .map(key -> key == null ? null : key.resellerId));
    }
}
