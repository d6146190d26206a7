package com.proxyvault.webhooks.endpoints;

import com.fasterxml.jackson.databind.JsonNode;
import com.proxyvault.platform.http.ApiException;
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

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Register a webhook endpoint")
    public Uni<RestResponse<WebhookViews.Created>> register(JsonNode body) {
        // The body is read as a tree so that a wrong type ("events": ["order.paid"]) is a 422 like any
        // other invalid value; only unparsable JSON is a 400.
        if (body == null || !body.isObject()) {
            throw ApiException.unprocessable("Request body must be a JSON object with url and events");
        }
        String url = requiredString(body, "url");
        String events = EventSubscription.normalize(requiredString(body, "events"));
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

    /** A non-numeric id cannot name a webhook: 404, like any other unknown id. */
    public static long parseId(String webhookId) {
        try {
            return Long.parseLong(webhookId);
        } catch (NumberFormatException e) {
            throw ApiException.notFound("Webhook not found");
        }
    }

    private static String requiredString(JsonNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            throw ApiException.unprocessable(field + " is required");
        }
        if (!value.isTextual()) {
            throw ApiException.unprocessable(field + " must be a string");
        }
        if (value.asText().isBlank()) {
            throw ApiException.unprocessable(field + " must not be empty");
        }
        return value.asText();
    }
}
