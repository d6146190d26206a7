package com.proxyvault.webhooks.delivery;

import com.proxyvault.platform.http.ApiException;
import com.proxyvault.platform.time.ClockProducer;
import com.proxyvault.webhooks.endpoints.WebhookService;
import com.proxyvault.webhooks.endpoints.WebhookViews;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.hibernate.reactive.mutiny.Mutiny;

import java.time.Clock;
import java.time.Duration;
import java.time.LocalDateTime;

/**
 * Deliveries made on request: resend one delivery, replay everything since a time. Each makes new
 * deliveries (origin {@code resend} / {@code replay}) with the stored body of the original, so the
 * receiver gets the same {@code id} and {@code webhook-id} and can deduplicate; they go through the
 * normal schedule (retries, history rows numbered from attempt 1). The insert trigger wakes the dispatcher.
 *
 * <p>Neither makes a second pending delivery of an event to an endpoint that still has one pending (whatever
 * its origin): that one will bring the same body with the same {@code webhook-id}, so a copy beside it only
 * lengthens the endpoint's queue. A flood of replays (336 in 7 s, all 202, in the hostile review) thus queues
 * each event once. The two calls lock the webhook's row first, so calls on one endpoint at the same time take
 * turns and each sees what the one before it queued (docs/webhooks.md "API").
 */
@ApplicationScoped
public class Redeliveries {

    /** How far back {@code POST /replay} reaches. */
    public static final Duration REPLAY_WINDOW = Duration.ofDays(30);

    private final Mutiny.SessionFactory sessionFactory;
    private final Clock clock;

    public Redeliveries(Mutiny.SessionFactory sessionFactory, Clock clock) {
        this.sessionFactory = sessionFactory;
        this.clock = clock;
    }

    /**
     * Sends the event of history row {@code attemptId} (an {@code id} of {@code GET .../deliveries}) again, unless
     * a delivery of that event to this endpoint is still pending (then nothing new is queued, and the answer is the
     * same: the event is queued). 404 when the webhook or the row is not this reseller's; 409 when the endpoint is
     * disabled.
     */
    public Uni<WebhookViews.Queued> resend(long resellerId, long webhookId, long attemptId) {
        return sessionFactory.withTransaction(session -> WebhookService.findActive(session, resellerId, webhookId)
                .chain(webhook -> {
                    WebhookService.requireEnabled(webhook);
                    return lockForRedelivery(session, webhookId);
                })
                .chain(() -> session.createNativeQuery("""
                                with source as (
                                    select d.webhook_id, d.reseller_id, d.event_id, d.event_type, d.payload
                                    from delivery_attempts a join deliveries d on d.id = a.delivery_id
                                    where a.id = :attempt and a.webhook_id = :webhook),
                                queued as (
                                    insert into deliveries (webhook_id, reseller_id, event_id, event_type, payload, origin)
                                    select s.webhook_id, s.reseller_id, s.event_id, s.event_type, s.payload, 'resend'
                                    from source s
                                    where not exists (select 1 from deliveries p where p.webhook_id = s.webhook_id
                                                      and p.event_id = s.event_id and p.status = 'pending'))
                                select cast(event_id as text) from source""", String.class)
                        .setParameter("attempt", attemptId)
                        .setParameter("webhook", webhookId)
                        .getResultList())
                .map(ids -> {
                    if (ids.isEmpty()) {
                        throw ApiException.notFound("Delivery not found");
                    }
                    return new WebhookViews.Queued("Delivery queued", ids.get(0), null);
                }));
    }

    /**
     * Queues again every event this endpoint was sent (or skipped while disabled) that arrived at or after
     * {@code since}, oldest first: one {@code replay} delivery per event, except events of which a delivery to
     * this endpoint is still pending (the original, a retry, an earlier replay or resend). {@code since} must lie
     * within the last {@link #REPLAY_WINDOW} and not in the future (422). 409 when the endpoint is disabled.
     *
     * @return {@code events}: how many deliveries this call queued (0 when everything since then is pending already)
     */
    public Uni<WebhookViews.Queued> replay(long resellerId, long webhookId, LocalDateTime since) {
        LocalDateTime now = ClockProducer.utcNow(clock);
        if (since.isAfter(now)) {
            throw ApiException.unprocessable("since must not be in the future");
        }
        if (since.isBefore(now.minus(REPLAY_WINDOW))) {
            throw ApiException.unprocessable("since must be within the last " + REPLAY_WINDOW.toDays() + " days");
        }
        return sessionFactory.withTransaction(session -> WebhookService.findActive(session, resellerId, webhookId)
                .chain(webhook -> {
                    WebhookService.requireEnabled(webhook);
                    return lockForRedelivery(session, webhookId);
                })
                // The pending event ids of one endpoint: a range of deliveries_pending_by_webhook.
                .chain(() -> session.createNativeQuery("""
                                insert into deliveries (webhook_id, reseller_id, event_id, event_type, payload, origin)
                                select d.webhook_id, d.reseller_id, d.event_id, d.event_type, d.payload, 'replay'
                                from deliveries d
                                where d.webhook_id = :webhook and d.origin = 'event' and d.created_at >= :since
                                  and not exists (select 1 from deliveries p where p.webhook_id = :webhook
                                                  and p.event_id = d.event_id and p.status = 'pending')
                                order by d.created_at, d.id""")
                        .setParameter("webhook", webhookId)
                        .setParameter("since", since)
                        .executeUpdate())
                .map(count -> new WebhookViews.Queued("Replay queued", null, count)));
    }

    /**
     * Locks the webhook's row for the rest of the transaction, in a statement of its own: the insert that follows
     * then takes its snapshot after a concurrent resend or replay of this endpoint has committed, and its "none
     * pending" check sees what that one queued (checked in the same statement as the lock, it would not).
     */
    private static Uni<Void> lockForRedelivery(Mutiny.Session session, long webhookId) {
        return session.createNativeQuery("select id from webhooks where id = :webhook for update", Long.class)
                .setParameter("webhook", webhookId)
                .getResultList()
                .replaceWithVoid();
    }
}
