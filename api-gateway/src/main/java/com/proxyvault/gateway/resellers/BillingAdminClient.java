package com.proxyvault.gateway.resellers;

import com.proxyvault.platform.http.ApiException;
import com.proxyvault.gateway.auth.InternalTokenIssuer;
import com.proxyvault.gateway.forwarding.Upstreams;
import io.smallrye.mutiny.Uni;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.ext.web.client.WebClient;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.util.Map;

/** billing-service's operator API, called with an internal operator token. */
@ApplicationScoped
public class BillingAdminClient {

    private static final Logger LOG = Logger.getLogger(BillingAdminClient.class);

    private final WebClient client;
    private final Upstreams upstreams;
    private final InternalTokenIssuer tokens;

    public BillingAdminClient(Vertx vertx, Upstreams upstreams, InternalTokenIssuer tokens) {
        this.client = WebClient.create(vertx, new WebClientOptions().setFollowRedirects(false));
        this.upstreams = upstreams;
        this.tokens = tokens;
    }

    @PreDestroy
    void close() {
        client.close();
    }

    public record Answer(int status, JsonObject body) {
    }

    public Uni<Answer> topUp(long resellerId, String operator, Map<String, Object> request) {
        String url = upstreams.upstreams().get("billing") + "/internal/resellers/" + resellerId + "/topups";
        return client.postAbs(url)
                .timeout(upstreams.upstreamTimeout().toMillis())
                .bearerTokenAuthentication(tokens.forOperator(operator))
                .sendJson(new JsonObject(request))
                .map(response -> new Answer(response.statusCode(), bodyOf(response.bodyAsString())))
                .onFailure().transform(failure -> {
                    LOG.warnf("Top-up for reseller %d failed: %s", resellerId, failure.toString());
                    return ApiException.unavailable("Billing is unavailable, try again");
                });
    }

    private static JsonObject bodyOf(String raw) {
        try {
            return raw == null || raw.isBlank() ? new JsonObject() : new JsonObject(raw);
        } catch (RuntimeException e) {
            return new JsonObject().put("detail", "Unexpected answer from billing");
        }
    }
}
