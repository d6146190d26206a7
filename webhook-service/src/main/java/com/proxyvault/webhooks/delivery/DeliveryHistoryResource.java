package com.proxyvault.webhooks.delivery;

import jakarta.ws.rs.HeaderParam;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.proxyvault.platform.http.NoFieldBodies;
import com.fasterxml.jackson.annotation.JsonFormat;
import com.proxyvault.platform.input.Ids;
import com.proxyvault.platform.input.Paging;
import com.proxyvault.webhooks.endpoints.WebhookViews;
import jakarta.ws.rs.POST;
import org.jboss.resteasy.reactive.RestResponse;
import com.proxyvault.platform.auth.CurrentReseller;
import com.proxyvault.webhooks.endpoints.WebhookResource;
import com.proxyvault.webhooks.endpoints.WebhookService;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.hibernate.reactive.mutiny.Mutiny;
import org.jboss.resteasy.reactive.server.Cancellable;

import java.time.LocalDateTime;
import java.util.List;
import java.util.UUID;

/**
 * {@code GET /v1/reseller/webhooks/{id}/deliveries}: every attempt, newest first, so a retried event shows
 * each failed attempt and the one that finally succeeded.
 */
@Path("/v1/reseller/webhooks/{webhookId}/deliveries")
@RolesAllowed("reseller")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Webhooks")
@Cancellable(false) // a write the caller started finishes if the caller hangs up (docs/api.md "Hang-ups")
public class DeliveryHistoryResource {

    private final Mutiny.SessionFactory sessionFactory;
    private final CurrentReseller reseller;

    private final Redeliveries redeliveries;

    /** The service's own mapper: reads the bodies of the actions that take none ({@link NoFieldBodies}). */
    private final ObjectMapper json;

    public DeliveryHistoryResource(Mutiny.SessionFactory sessionFactory, CurrentReseller reseller, Redeliveries redeliveries,
                                   ObjectMapper json) {
        this.json = json;
        this.redeliveries = redeliveries;
        this.sessionFactory = sessionFactory;
        this.reseller = reseller;
    }

    /**
     * One attempt: the seed's {@code id, event, success, response_status, attempted_at}, plus {@code attempt}
     * (1 for the first try of a delivery), {@code event_id}, {@code duration_ms}, {@code response_body}
     * (first 1 KiB of the answer; null without an answer) and {@code error}: why a failed attempt failed, in words
     * ({@code HTTP 503}, a timeout, a refused connection, an address the URL rules refuse), null on success. The
     * service stored it from the start and docs/webhooks.md promised it to resellers ("URL rules"), but the history
     * never showed it: a timeout, a refused connection and a blocked address all read as {@code response_status} null
     * (hostile review, stop 35, M2).
     */
    public record DeliveryView(
            long id,
            String event,
            boolean success,
            Integer responseStatus,
            @JsonFormat(shape = JsonFormat.Shape.STRING, pattern = "yyyy-MM-dd'T'HH:mm:ss") LocalDateTime attemptedAt,
            int attempt,
            UUID eventId,
            Integer durationMs,
            String responseBody,
            String error) {

        static DeliveryView of(DeliveryAttempt attempt) {
            return new DeliveryView(attempt.id, attempt.eventType, attempt.success, attempt.responseStatus, attempt.attemptedAt,
                    attempt.attempt, attempt.eventId, attempt.durationMs, attempt.responseBody, attempt.success ? null : attempt.error);
        }
    }

    public record DeliveryPage(List<DeliveryView> deliveries, long total) {
    }

    @POST
    @Path("/{deliveryId}/resend")
    @Operation(summary = "Send the event of one history entry again")
    public Uni<RestResponse<WebhookViews.Queued>> resend(@PathParam("webhookId") String webhookId,
                                                         @PathParam("deliveryId") String deliveryId,
                                                         @HeaderParam("Content-Type") String contentType, byte[] body) {
        NoFieldBodies.require(json, "resend", contentType, body);
        long id = WebhookResource.parseId(webhookId);
        // A malformed delivery id names no delivery, but the webhook is judged first: an unknown webhook is
        // "Webhook not found" whatever the delivery id (new-user review, stop 32, L4). No history row has id 0.
        long attemptId = Ids.isCanonical(deliveryId) ? Long.parseLong(deliveryId) : 0;
        return redeliveries.resend(reseller.id(), id, attemptId).map(RestResponse::accepted);
    }

    @GET
    @Operation(summary = "View delivery history and response codes")
    public Uni<DeliveryPage> history(@PathParam("webhookId") String webhookId,
                                     @QueryParam("limit") String limit,
                                     @QueryParam("offset") String offset) {
        // Taken as strings so that "limit=abc" is a 422 with a detail, not the framework's 404.
        Paging page = Paging.of(limit, offset);
        int pageSize = page.limit();
        int skip = page.offset();
        long id = WebhookResource.parseId(webhookId);
        long resellerId = reseller.id();
        return sessionFactory.withSession(session -> WebhookService.findActive(session, resellerId, id)
                .chain(webhook -> session.createSelectionQuery(
                                "select count(*) from DeliveryAttempt where webhookId = :id", Long.class)
                        .setParameter("id", id)
                        .getSingleResult())
                .chain(total -> session.createSelectionQuery(
                                "from DeliveryAttempt where webhookId = :id order by id desc", DeliveryAttempt.class)
                        .setParameter("id", id)
                        .setFirstResult(skip)
                        .setMaxResults(pageSize)
                        .getResultList()
                        .map(attempts -> new DeliveryPage(attempts.stream().map(DeliveryView::of).toList(), total))));
    }
}
