package com.proxyvault.webhooks.endpoints;

import com.proxyvault.platform.time.ClockProducer;
import com.proxyvault.platform.http.ApiException;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.hibernate.reactive.mutiny.Mutiny;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.LocalDateTime;
import java.util.HexFormat;
import java.util.List;

/** Registration, listing and removal of a reseller's webhooks; every query is scoped by reseller. */
@ApplicationScoped
public class WebhookService {

    private static final String SECRET_PREFIX = "whsec_";
    private static final int SECRET_BYTES = 32;

    private final Mutiny.SessionFactory sessionFactory;
    private final SecureRandom random = new SecureRandom();

    private final Clock clock;

    public WebhookService(Mutiny.SessionFactory sessionFactory, Clock clock) {
        this.sessionFactory = sessionFactory;
        this.clock = clock;
    }

    /** {@code url} and {@code events} are already validated and normalized. */
    public Uni<Webhook> register(long resellerId, String url, String events) {
        Webhook webhook = new Webhook();
        webhook.resellerId = resellerId;
        webhook.url = url;
        webhook.events = events;
        webhook.secret = newSecret();
        webhook.createdAt = ClockProducer.utcNow(clock);
        return sessionFactory.withTransaction(session -> session.persist(webhook)).replaceWith(webhook);
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
                                    "update deliveries set status = 'cancelled' where webhook_id = :id and status = 'pending'")
                            .setParameter("id", webhookId)
                            .executeUpdate();
                })
                .replaceWithVoid());
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
        return SECRET_PREFIX + HexFormat.of().formatHex(bytes);
    }
}
