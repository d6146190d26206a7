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
     * Sends the event of history row {@code attemptId} (an {@code id} of {@code GET .../deliveries}) again.
     * 404 when the webhook or the row is not this reseller's; 409 when the endpoint is disabled.
     */
    public Uni<WebhookViews.Queued> resend(long resellerId, long webhookId, long attemptId) {
        return sessionFactory.withTransaction(session -> WebhookService.findActive(session, resellerId, webhookId)
                .chain(webhook -> {
                    WebhookService.requireEnabled(webhook);
                    return session.createNativeQuery("""
                                    insert into deliveries (webhook_id, reseller_id, event_id, event_type, payload, origin)
                                    select d.webhook_id, d.reseller_id, d.event_id, d.event_type, d.payload, 'resend'
                                    from delivery_attempts a join deliveries d on d.id = a.delivery_id
                                    where a.id = :attempt and a.webhook_id = :webhook
                                    returning cast(event_id as text)""", String.class)
                            .setParameter("attempt", attemptId)
                            .setParameter("webhook", webhookId)
                            .getResultList();
                })
                .map(ids -> {
                    if (ids.isEmpty()) {
                        throw ApiException.notFound("Delivery not found");
                    }
                    return new WebhookViews.Queued("Delivery queued", ids.get(0), null);
                }));
    }

    /**
     * Queues again every event this endpoint was sent (or skipped while disabled) that arrived at or after
     * {@code since}, oldest first: one {@code replay} delivery per event. {@code since} must lie within the
     * last {@link #REPLAY_WINDOW} and not in the future (422). 409 when the endpoint is disabled.
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
                    return session.createNativeQuery("""
                                    insert into deliveries (webhook_id, reseller_id, event_id, event_type, payload, origin)
                                    select webhook_id, reseller_id, event_id, event_type, payload, 'replay'
                                    from deliveries
                                    where webhook_id = :webhook and origin = 'event' and created_at >= :since
                                    order by created_at, id""")
                            .setParameter("webhook", webhookId)
                            .setParameter("since", since)
                            .executeUpdate();
                })
                .map(count -> new WebhookViews.Queued("Replay queued", null, count)));
    }
}
