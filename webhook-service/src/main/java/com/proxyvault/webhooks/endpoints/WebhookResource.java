package com.proxyvault.webhooks.endpoints;

import com.proxyvault.platform.http.ApiException;
import com.proxyvault.platform.input.Ids;
import com.proxyvault.platform.input.Texts;
import com.proxyvault.platform.auth.CurrentReseller;
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

/** {@code /v1/reseller/webhooks}: register, list and remove endpoints. Reached only through the gateway. */
@Path("/v1/reseller/webhooks")
@RolesAllowed("reseller")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Webhooks")
public class WebhookResource {

    private final WebhookService webhooks;
    private final WebhookUrlPolicy urlPolicy;
    private final CurrentReseller reseller;
    private final Vertx vertx;

    public WebhookResource(WebhookService webhooks, WebhookUrlPolicy urlPolicy, CurrentReseller reseller, Vertx vertx) {
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
    public Uni<RestResponse<WebhookViews.Created>> register(RegisterRequest body) {
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
                .chain(() -> webhooks.register(resellerId, target.uri().toString(), events))
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

    /** A malformed id names no webhook: 404, like any other unknown id ({@link Ids#path}). */
    public static long parseId(String webhookId) {
        return Ids.path(webhookId, "Webhook not found");
    }
}
