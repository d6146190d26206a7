package com.proxyvault.webhooks.endpoints;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.proxyvault.platform.http.ApiException;
import com.proxyvault.platform.http.ForwardedIdempotencyKey;
import com.proxyvault.platform.time.ClockProducer;
import com.proxyvault.webhooks.WebhooksConfig;
import com.proxyvault.webhooks.events.WebhookPayload;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.hibernate.reactive.mutiny.Mutiny;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

/**
 * Registration, listing, removal, secret rotation, enabling and test events of a reseller's webhooks;
 * every query is scoped by reseller (another reseller's webhook is a 404).
 */
@ApplicationScoped
public class WebhookService {

    private static final String SECRET_PREFIX = "whsec_";
    /** Random bytes of a secret (issue 9: at least 24): {@code whsec_} + base64 of 32 bytes, as Standard Webhooks. */
    static final int SECRET_BYTES = 32;
    /**
     * 409: the reseller already has {@link WebhooksConfig#maxEndpointsPerReseller()} live endpoints (docs/api.md "Error
     * body and codes", docs/webhooks.md "Limits").
     */
    public static final String LIMIT_REACHED = "webhook_limit_reached";

    private final Mutiny.SessionFactory sessionFactory;
    private final SecureRandom random = new SecureRandom();
    private final Clock clock;
    private final ObjectMapper mapper;
    private final Duration rotationOverlap;
    /** {@link WebhooksConfig#maxEndpointsPerReseller()}: live endpoints one reseller may have. */
    private final int maxEndpoints;

    public WebhookService(Mutiny.SessionFactory sessionFactory, Clock clock, ObjectMapper mapper, WebhooksConfig config) {
        this.sessionFactory = sessionFactory;
        this.clock = clock;
        this.mapper = mapper;
        this.rotationOverlap = config.rotationOverlap();
        this.maxEndpoints = config.maxEndpointsPerReseller();
    }

    /** {@code url} and {@code events} are already validated and normalized. */
    public Uni<Webhook> register(long resellerId, String url, String events) {
        return register(resellerId, url, events, null);
    }

    /**
     * {@link #register(long, String, String)} under the caller's {@code Idempotency-Key} ({@code null}: none): the first
     * request with the key registers the endpoint, a later one with the same url and events answers that endpoint
     * (its id and current secret, the same 201), one with another url or events 422 {@code idempotency_key_reused}, and
     * one after the endpoint was deleted 409. Kept with the endpoint (V5), so a retry the gateway forwards again after
     * giving up on the first request finds it (docs/api.md "What the services keep"). The endpoint holds the key for
     * {@link ForwardedIdempotencyKey#RETENTION} from its {@code created_at}, as the gateway does: after that a request
     * with the key registers a new endpoint with a new secret, which takes the key (a replay would show the endpoint's
     * current secret again, one a rotation meant to show once).
     *
     * <p>A new endpoint needs room: a reseller with {@link WebhooksConfig#maxEndpointsPerReseller()} live endpoints
     * (20) gets 409 {@value #LIMIT_REACHED} and nothing is written (docs/webhooks.md "Limits"). The key is looked up
     * before the cap is judged, so a retry of a registration that went through still answers its 201 at the limit.
     * Both are judged under the reseller's lock ({@link #lockEndpointsOf}), so registrations of one reseller at the
     * same moment take turns: however many arrive, the reseller ends with at most the limit, and requests with one
     * key find the one endpoint the first of them made. The unique index (V5) still has the last word on a key (a
     * replica without the lock during a rollout): the loser there answers the winner's endpoint.
     */
    public Uni<Webhook> register(long resellerId, String url, String events, String idempotencyKey) {
        LocalDateTime cutoff = idempotencyKey == null ? null : ForwardedIdempotencyKey.cutoff(ClockProducer.utcNow(clock));
        Uni<Webhook> registered = sessionFactory.withTransaction(session -> lockEndpointsOf(session, resellerId)
                .chain(() -> idempotencyKey == null ? Uni.createFrom().<Webhook>nullItem()
                        : byIdempotencyKey(session, resellerId, idempotencyKey, cutoff))
                .chain(earlier -> earlier != null
                        ? Uni.createFrom().item(sameRegistration(earlier, url, events))
                        : requireRoom(session, resellerId)
                                .chain(() -> insert(session, resellerId, url, events, idempotencyKey, cutoff))));
        if (idempotencyKey == null) {
            return registered;
        }
        // no row under the key: another unique index refused it, and that failure is the answer
        return registered.onFailure(ForwardedIdempotencyKey::isKeyTaken).recoverWithUni(raced -> sessionFactory
                .withSession(session -> byIdempotencyKey(session, resellerId, idempotencyKey, cutoff))
                .onItem().ifNull().failWith(raced)
                .map(winner -> sameRegistration(winner, url, events)));
    }

    /**
     * Namespace of the reseller locks below (the first of {@code pg_advisory_xact_lock}'s two 32-bit keys), so they
     * never meet the one-key advisory locks of this database (Flyway's migration lock).
     */
    static final int ENDPOINTS_LOCK_SPACE = 0x57484550; // "WHEP"

    /**
     * Takes this transaction's lock on {@code resellerId}'s endpoints: registrations of one reseller run one after the
     * other from here to their commit, and each one's statements after it see what the previous one committed (READ
     * COMMITTED takes a new snapshot per statement). An advisory lock because this service has no row per reseller to
     * lock (resellers live in the gateway), and locking the reseller's endpoint rows would not stop an insert beside
     * them (a reseller with none has nothing to lock); SERIALIZABLE would instead fail one of two racing creates with
     * a serialization error to retry. Held until commit or rollback, never across an HTTP call. Second key: the
     * reseller id modulo 2^31 (ids beyond it may share a lock with another reseller, which only makes them take turns).
     */
    private static Uni<Void> lockEndpointsOf(Mutiny.Session session, long resellerId) {
        return session.createNativeQuery("""
                        select 1 from (select pg_advisory_xact_lock(:space, cast(cast(:reseller as bigint) % 2147483648 as integer))) as locked""",
                        Integer.class)
                .setParameter("space", ENDPOINTS_LOCK_SPACE)
                .setParameter("reseller", resellerId)
                .getSingleResult()
                .replaceWithVoid();
    }

    /**
     * Nothing, or 409 {@value #LIMIT_REACHED} when the reseller already has {@link #maxEndpoints} live endpoints
     * (deleted ones do not count; disabled ones do, they can be enabled again). Run under {@link #lockEndpointsOf}.
     */
    private Uni<Void> requireRoom(Mutiny.Session session, long resellerId) {
        return session.createSelectionQuery(
                        "select count(*) from Webhook where resellerId = :reseller and deletedAt is null", Long.class)
                .setParameter("reseller", resellerId)
                .getSingleResult()
                .invoke(live -> {
                    if (live >= maxEndpoints) {
                        throw ApiException.conflict(LIMIT_REACHED, "A reseller may have at most " + maxEndpoints
                                + " webhook endpoints; delete one (DELETE /v1/reseller/webhooks/{id}) before registering another");
                    }
                })
                .replaceWithVoid();
    }

    /**
     * The reseller's endpoint registered under {@code idempotencyKey} (V5) after {@code cutoff} (the key's
     * {@link ForwardedIdempotencyKey#cutoff}: an older one no longer holds it, as the gateway no longer does), or null.
     */
    private static Uni<Webhook> byIdempotencyKey(Mutiny.Session session, long resellerId, String idempotencyKey,
                                                 LocalDateTime cutoff) {
        return session.createSelectionQuery(
                        "from Webhook where resellerId = :reseller and idempotencyKey = :key and createdAt > :cutoff", Webhook.class)
                .setParameter("reseller", resellerId)
                .setParameter("key", idempotencyKey)
                .setParameter("cutoff", cutoff)
                .getSingleResultOrNull();
    }

    /** {@code earlier}, registered under the key, when this request asks for the same endpoint; else 422, or 409 if deleted. */
    private static Webhook sameRegistration(Webhook earlier, String url, String events) {
        if (!earlier.url.equals(url) || !earlier.events.equals(events)) {
            throw ForwardedIdempotencyKey.reused("webhook");
        }
        if (earlier.deletedAt != null) {
            throw ApiException.conflict("The webhook this Idempotency-Key registered was deleted since: use a new key to register it again");
        }
        return earlier;
    }


    /**
     * A new endpoint under {@code idempotencyKey} (null: none), in the caller's transaction. With a key, first, an
     * endpoint registered at or before {@code cutoff} lets go of it: its retention is over, and the unique index would
     * otherwise refuse the new one.
     */
    private Uni<Webhook> insert(Mutiny.Session session, long resellerId, String url, String events, String idempotencyKey,
                                LocalDateTime cutoff) {
        Webhook webhook = new Webhook();
        webhook.idempotencyKey = idempotencyKey;
        webhook.resellerId = resellerId;
        webhook.url = url;
        webhook.events = events;
        webhook.secret = newSecret();
        webhook.createdAt = ClockProducer.utcNow(clock);
        return (idempotencyKey == null ? Uni.createFrom().voidItem()
                        : session.createMutationQuery("""
                                        update Webhook set idempotencyKey = null
                                        where resellerId = :reseller and idempotencyKey = :key and createdAt <= :cutoff""")
                                .setParameter("reseller", resellerId)
                                .setParameter("key", idempotencyKey)
                                .setParameter("cutoff", cutoff)
                                .executeUpdate().replaceWithVoid())
                .chain(() -> session.persist(webhook))
                .replaceWith(webhook);
    }

    public Uni<List<Webhook>> list(long resellerId) {
        return sessionFactory.withSession(session -> session.createSelectionQuery(
                        "from Webhook where resellerId = :reseller and deletedAt is null order by id", Webhook.class)
                .setParameter("reseller", resellerId)
                .getResultList());
    }

    /**
     * Soft-deletes the webhook and cancels its pending deliveries in the same transaction, so the dispatcher
     * stops retrying them. An attempt already in flight still completes and is recorded.
     */
    public Uni<Void> delete(long resellerId, long webhookId) {
        return sessionFactory.withTransaction(session -> findActive(session, resellerId, webhookId)
                .chain(webhook -> {
                    webhook.deletedAt = ClockProducer.utcNow(clock);
                    return session.createNativeQuery(
                                    "update deliveries set status = 'cancelled' where webhook_id = :id and status in ('pending', 'skipped')")
                            .setParameter("id", webhookId)
                            .executeUpdate();
                })
                .replaceWithVoid());
    }

    /**
     * A new secret; the current one becomes the previous and keeps signing for
     * {@code proxyvault.webhooks.rotation-overlap} (24 h). Rotating again within that time drops the oldest:
     * at most two secrets sign.
     */
    public Uni<WebhookViews.Rotated> rotateSecret(long resellerId, long webhookId) {
        return sessionFactory.withTransaction(session -> findActive(session, resellerId, webhookId)
                .map(webhook -> {
                    LocalDateTime now = ClockProducer.utcNow(clock);
                    webhook.previousSecret = webhook.secret;
                    webhook.previousSecretExpiresAt = now.plus(rotationOverlap);
                    webhook.secret = newSecret();
                    return new WebhookViews.Rotated(webhook.id, webhook.secret, webhook.previousSecretExpiresAt);
                }));
    }

    /** Enables a disabled endpoint (idempotent); what was skipped meanwhile comes back with {@code POST /replay}. */
    public Uni<Webhook> enable(long resellerId, long webhookId) {
        return sessionFactory.withTransaction(session -> findActive(session, resellerId, webhookId)
                .invoke(webhook -> {
                    webhook.disabledAt = null;
                    webhook.disabledReason = null;
                    webhook.failingSince = null;
                }));
    }

    /**
     * Queues a {@code webhook.test} event to this endpoint only (whatever its {@code events}); 409 when the
     * endpoint is disabled.
     */
    public Uni<WebhookViews.Queued> sendTest(long resellerId, long webhookId) {
        return sessionFactory.withTransaction(session -> findActive(session, resellerId, webhookId)
                .chain(webhook -> {
                    requireEnabled(webhook);
                    UUID eventId = UUID.randomUUID();
                    ObjectNode body = mapper.createObjectNode();
                    body.put("id", eventId.toString());
                    body.put("type", "webhook.test");
                    body.put("created_at", WebhookPayload.TIMESTAMP.format(ClockProducer.utcNow(clock)));
                    body.put("reseller_id", resellerId);
                    ObjectNode data = body.putObject("data");
                    data.put("id", webhook.id);
                    data.put("webhook_id", webhook.id);
                    data.put("url", webhook.url);
                    data.put("message", "This is a test event from ProxyVault.");
                    return session.createNativeQuery("""
                                    insert into deliveries (webhook_id, reseller_id, event_id, event_type, payload, origin)
                                    values (:webhook, :reseller, cast(:eventId as uuid), 'webhook.test', :payload, 'test')""")
                            .setParameter("webhook", webhook.id)
                            .setParameter("reseller", resellerId)
                            .setParameter("eventId", eventId.toString())
                            .setParameter("payload", body.toString())
                            .executeUpdate()
                            .replaceWith(new WebhookViews.Queued("Test event queued", eventId.toString(), null));
                }));
    }

    /** 409 {@code conflict} for a disabled endpoint: nothing is sent to it until {@code POST /enable}. */
    public static void requireEnabled(Webhook webhook) {
        if (webhook.disabledAt != null) {
            throw ApiException.conflict("Webhook is disabled (" + webhook.disabledReason + "): POST /v1/reseller/webhooks/"
                    + webhook.id + "/enable first");
        }
    }

    /** The reseller's live webhook, or a 404 (also when it belongs to another reseller). */
    public static Uni<Webhook> findActive(Mutiny.Session session, long resellerId, long webhookId) {
        return session.createSelectionQuery(
                        "from Webhook where id = :id and resellerId = :reseller and deletedAt is null", Webhook.class)
                .setParameter("id", webhookId)
                .setParameter("reseller", resellerId)
                .getSingleResultOrNull()
                .onItem().ifNull().failWith(() -> ApiException.notFound("Webhook not found"));
    }

    private String newSecret() {
        byte[] bytes = new byte[SECRET_BYTES];
        random.nextBytes(bytes);
        return SECRET_PREFIX + Base64.getEncoder().encodeToString(bytes);
    }
}
