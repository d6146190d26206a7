package com.proxyvault.webhooks.endpoints;

import jakarta.ws.rs.HeaderParam;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.proxyvault.platform.http.NoFieldBodies;
import com.proxyvault.platform.http.ApiException;
import com.proxyvault.platform.http.ForwardedIdempotencyKey;
import com.proxyvault.platform.input.Ids;
import com.proxyvault.platform.input.Texts;
import com.proxyvault.platform.auth.CurrentReseller;
import com.proxyvault.webhooks.delivery.Redeliveries;
import com.proxyvault.webhooks.events.WebhookPayload;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.RestResponse;
import org.jboss.resteasy.reactive.server.Cancellable;

import java.time.LocalDateTime;
import java.time.format.DateTimeParseException;

/**
 * {@code /v1/reseller/webhooks}: register, list and remove endpoints (seed), and test, rotate-secret, enable
 * and replay (issue 9, docs/webhooks.md). Reached only through the gateway.
 */
@Path("/v1/reseller/webhooks")
@RolesAllowed("reseller")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Webhooks")
@Cancellable(false) // a write the caller started finishes if the caller hangs up (docs/api.md "Hang-ups")
public class WebhookResource {

    private final WebhookService webhooks;
    private final WebhookUrlPolicy urlPolicy;
    private final CurrentReseller reseller;
    private final Vertx vertx;
    private final Redeliveries redeliveries;
    /** The service's own mapper: reads the bodies of the actions that take none ({@link NoFieldBodies}). */
    private final ObjectMapper json;

    public WebhookResource(WebhookService webhooks, WebhookUrlPolicy urlPolicy, CurrentReseller reseller, Vertx vertx,
                           Redeliveries redeliveries, ObjectMapper json) {
        this.redeliveries = redeliveries;
        this.json = json;
        this.webhooks = webhooks;
        this.urlPolicy = urlPolicy;
        this.reseller = reseller;
        this.vertx = vertx;
    }

    /** The longest {@code events} list: every public event named, with room for spaces. */
    static final int MAX_EVENTS_LENGTH = 500;

    /**
     * {@code {"url": "https://...", "events": "*"}}: url at most {@value WebhookUrlPolicy#MAX_LENGTH}
     * characters, events {@code "*"} or a comma-separated list (at most {@value #MAX_EVENTS_LENGTH}); both
     * strings, no control characters, no other fields (422 naming the field otherwise).
     */
    public record RegisterRequest(String url, String events) {
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Register a webhook endpoint")
    public Uni<RestResponse<WebhookViews.Created>> register(RegisterRequest body,
                                                             @HeaderParam(ForwardedIdempotencyKey.HEADER) String idempotencyKey) {
        if (body == null) {
            throw ApiException.unprocessable("Request body must be a JSON object with url and events");
        }
        String url = Texts.required(body.url(), "url", WebhookUrlPolicy.MAX_LENGTH);
        String events = EventSubscription.normalize(Texts.required(body.events(), "events", MAX_EVENTS_LENGTH));
        WebhookTarget target = urlPolicy.parse(url);
        long resellerId = reseller.id();
        // DNS lookups block: run them on a worker; executeBlocking resumes on this request's context, where
        // Hibernate Reactive needs to be.
        return vertx.executeBlocking(() -> urlPolicy.resolvePublicAddresses(target), false)
                .onFailure(UnsafeWebhookTargetException.class)
                .transform(e -> ApiException.unprocessable(e.getMessage()))
                .chain(() -> webhooks.register(resellerId, target.uri().toString(), events, ForwardedIdempotencyKey.of(idempotencyKey)))
                .map(webhook -> RestResponse.status(RestResponse.Status.CREATED, WebhookViews.Created.of(webhook)));
    }

    @GET
    @Operation(summary = "List registered webhooks")
    public Uni<WebhookViews.WebhookList> list() {
        return webhooks.list(reseller.id())
                .map(all -> new WebhookViews.WebhookList(all.stream().map(WebhookViews.Listed::of).toList()));
    }

    @DELETE
    @Path("/{webhookId}")
    @Operation(summary = "Remove a webhook endpoint")
    public Uni<WebhookViews.Detail> delete(@PathParam("webhookId") String webhookId) {
        return webhooks.delete(reseller.id(), parseId(webhookId)).replaceWith(new WebhookViews.Detail("Webhook deleted"));
    }

    @POST
    @Path("/{webhookId}/test")
    @Operation(summary = "Send a webhook.test event to this endpoint")
    public Uni<RestResponse<WebhookViews.Queued>> test(@PathParam("webhookId") String webhookId,
                                                       @HeaderParam("Content-Type") String contentType, byte[] body) {
        NoFieldBodies.require(json, "test", contentType, body);
        return webhooks.sendTest(reseller.id(), parseId(webhookId)).map(RestResponse::accepted);
    }

    @POST
    @Path("/{webhookId}/rotate-secret")
    @Operation(summary = "Replace the secret; the previous one keeps signing for 24 h")
    public Uni<WebhookViews.Rotated> rotateSecret(@PathParam("webhookId") String webhookId,
                                                  @HeaderParam("Content-Type") String contentType, byte[] body) {
        NoFieldBodies.require(json, "rotate-secret", contentType, body);
        return webhooks.rotateSecret(reseller.id(), parseId(webhookId));
    }

    @POST
    @Path("/{webhookId}/enable")
    @Operation(summary = "Enable a disabled endpoint")
    public Uni<WebhookViews.Listed> enable(@PathParam("webhookId") String webhookId,
                                           @HeaderParam("Content-Type") String contentType, byte[] body) {
        NoFieldBodies.require(json, "enable", contentType, body);
        return webhooks.enable(reseller.id(), parseId(webhookId)).map(WebhookViews.Listed::of);
    }

    /** {@code {"since": "2026-05-25T12:00:00"}} (UTC, the API's timestamp form; no other fields). */
    public record ReplayRequest(String since) {
    }

    @POST
    @Path("/{webhookId}/replay")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Send again every event since a time")
    public Uni<RestResponse<WebhookViews.Queued>> replay(@PathParam("webhookId") String webhookId, ReplayRequest body) {
        long id = parseId(webhookId);
        if (body == null) {
            throw ApiException.unprocessable("Request body must be a JSON object with since");
        }
        return redeliveries.replay(reseller.id(), id, parseSince(body.since())).map(RestResponse::accepted);
    }

    /** Longest {@code since} judged by its form; past it the text is no timestamp of any form. */
    static final int MAX_SINCE_LENGTH = 64;

    /**
     * {@code since} as the API writes timestamps: {@code 2026-05-25T12:00:00}, UTC, no zone, no fraction.
     * Any other form (also the common {@code ...Z} or {@code ...+00:00}) is 422 with that example, so the
     * reseller learns the form instead of a length (a bound of 19 used to answer "at most 19 characters" to
     * {@code 2026-05-25T12:00:00Z}). The range (not in the future, 30 days back) is {@link Redeliveries}'.
     */
    static LocalDateTime parseSince(String raw) {
        String since = Texts.required(raw, "since", MAX_SINCE_LENGTH);
        try {
            return LocalDateTime.parse(since, WebhookPayload.TIMESTAMP);
        } catch (DateTimeParseException e) {
            throw ApiException.unprocessable("since must be a UTC timestamp like 2026-05-25T12:00:00");
        }
    }

    /** A malformed id names no webhook: 404, like any other unknown id ({@link Ids#path}). */
    public static long parseId(String webhookId) {
        return Ids.path(webhookId, "Webhook not found");
    }
}
