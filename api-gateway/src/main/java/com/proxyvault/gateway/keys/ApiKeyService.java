package com.proxyvault.gateway.keys;

import com.proxyvault.platform.time.ClockProducer;
import com.proxyvault.platform.http.ApiException;
import com.proxyvault.gateway.auth.ApiKeyAuthenticator;
import com.proxyvault.gateway.resellers.Reseller;
import io.quarkus.hibernate.reactive.panache.Panache;
import jakarta.persistence.LockModeType;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Clock;
import java.time.LocalDateTime;
import java.util.List;

@ApplicationScoped
public class ApiKeyService {

    private final Clock clock;
    private final ApiKeyAuthenticator authenticator;

    public ApiKeyService(Clock clock, ApiKeyAuthenticator authenticator) {
        this.clock = clock;
        this.authenticator = authenticator;
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

    /**
     * {@link #issue} for a reseller's own request: refused (409) once they hold {@link #MAX_ACTIVE_KEYS}
     * live keys. Runs inside the caller's transaction with the reseller's row locked, so concurrent
     * requests are counted one after another and the cap holds under concurrency.
     */
    public Uni<IssuedKey> issueWithinLimit(long resellerId, String name) {
        return lockReseller(resellerId)
                .chain(() -> ApiKey.count("resellerId = ?1 and revokedAt is null", resellerId))
                .chain(live -> live >= MAX_ACTIVE_KEYS
                        ? Uni.createFrom().failure(ApiException.conflict("A reseller can hold at most " + MAX_ACTIVE_KEYS
                                + " active API keys; revoke one first"))
                        : issue(resellerId, name));
    }

    /** Serialises key changes of one reseller (issue and revoke) on its row. */
    private static Uni<Void> lockReseller(long resellerId) {
        return Reseller.<Reseller>findById(resellerId, LockModeType.PESSIMISTIC_WRITE).replaceWithVoid();
    }

    public Uni<List<ApiKey>> active(long resellerId) {
        return Panache.withSession(() -> ApiKey.<ApiKey>list("resellerId = ?1 and revokedAt is null order by id", resellerId));
    }

    /**
     * Revokes one of the reseller's live keys: 404 when it is not theirs or not live; 409 when it is
     * their last live key (docs/api.md, "API keys": a reseller is never left without a way in; create
     * the replacement first). Every gateway replica stops accepting it at once (the revocation trigger
     * notifies them; this replica forgets its cache right after the commit).
     */
    public Uni<Void> revoke(long resellerId, long keyId) {
        return revoke(resellerId, keyId, "This is your last active API key: create another one before revoking it");
    }

    /**
     * {@link #revoke(long, long)} for an operator: the same rule, and a 409 that tells the operator what to do
     * (issue the replacement through the operator API first; a new-user review found the reseller's wording there).
     */
    public Uni<Void> revokeAsOperator(long resellerId, long keyId) {
        return revoke(resellerId, keyId, "This is the reseller's last active API key: issue another one first"
                + " (POST /v1/admin/resellers/" + resellerId + "/keys), then revoke this one");
    }

    private Uni<Void> revoke(long resellerId, long keyId, String lastKeyDetail) {
        return Panache.withTransaction(() -> lockReseller(resellerId)
                        .chain(() -> ApiKey.<ApiKey>find("id = ?1 and resellerId = ?2 and revokedAt is null", keyId, resellerId)
                                .firstResult())
                        .onItem().ifNull().failWith(() -> ApiException.notFound("API key not found"))
                        .chain(key -> ApiKey.count("resellerId = ?1 and revokedAt is null", resellerId))
                        .chain(live -> live <= 1
                                ? Uni.createFrom().failure(ApiException.conflict(lastKeyDetail))
                                : ApiKey.update("revokedAt = ?1 where id = ?2 and resellerId = ?3 and revokedAt is null",
                                        now(), keyId, resellerId)))
                .invoke(authenticator::forgetAll)
                .replaceWithVoid();
    }
}
