package com.proxyvault.webhooks.delivery;

import com.proxyvault.platform.http.ApiException;
import com.proxyvault.webhooks.WebhooksConfig;
import com.proxyvault.webhooks.endpoints.UnsafeWebhookTargetException;
import com.proxyvault.webhooks.endpoints.WebhookTarget;
import com.proxyvault.webhooks.endpoints.WebhookUrlPolicy;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.core.buffer.Buffer;
import io.vertx.mutiny.core.net.SocketAddress;
import io.vertx.mutiny.ext.web.client.HttpRequest;
import io.vertx.mutiny.ext.web.client.HttpResponse;
import io.vertx.mutiny.ext.web.client.WebClient;
import io.vertx.mutiny.ext.web.codec.BodyCodec;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.List;

/**
 * One signed POST of a delivery's stored payload. Never fails: every problem becomes a failed
 * {@link AttemptOutcome} that the dispatcher records and retries.
 */
@ApplicationScoped
public class DeliverySender {

    public static final String EVENT_HEADER = "X-ProxyVault-Event";
    public static final String SIGNATURE_HEADER = "X-ProxyVault-Signature";
    private static final String USER_AGENT = "ProxyVault-Webhooks/1";

    private final Vertx vertx;
    private final WebhookUrlPolicy urlPolicy;
    private final WebClient client;
    private final long timeoutMillis;

    private final Clock clock;

    public DeliverySender(Vertx vertx, WebhookUrlPolicy urlPolicy, WebhooksConfig config, Clock clock) {
        this.vertx = vertx;
        this.clock = clock;
        this.urlPolicy = urlPolicy;
        this.timeoutMillis = config.requestTimeout().toMillis();
        this.client = WebClient.create(vertx, new WebClientOptions()
                .setUserAgent(USER_AGENT)
                // Our trace ids stay ours: no traceparent header to a reseller's receiver.
                .setTracingPolicy(io.vertx.core.tracing.TracingPolicy.IGNORE)
                // A redirect could lead to an internal address the URL checks never saw.
                .setFollowRedirects(false)
                .setConnectTimeout((int) timeoutMillis));
    }

    @PreDestroy
    void close() {
        client.close();
    }

    public Uni<AttemptOutcome> send(DueDelivery delivery) {
        WebhookTarget target;
        try {
            // Re-checked at send time: the allowlist may have changed since registration.
            target = urlPolicy.parse(delivery.url());
        } catch (ApiException e) {
            return Uni.createFrom().item(failure(delivery, null, e.detail()));
        }
        // Resolve again (DNS may have changed since registration) and connect to the address that was
        // checked, so the HTTP client cannot resolve the name to something else in between.
        return vertx.executeBlocking(() -> urlPolicy.resolvePublicAddresses(target), false)
                .chain(addresses -> post(delivery, target, addresses))
                .map(response -> {
                    boolean success = response.statusCode() >= 200 && response.statusCode() < 300;
                    return success
                            ? new AttemptOutcome(delivery, true, response.statusCode(), null, now())
                            : failure(delivery, response.statusCode(), "HTTP " + response.statusCode());
                })
                .onFailure().recoverWithItem(e -> failure(delivery, null, describe(e)));
    }

    private Uni<HttpResponse<Void>> post(DueDelivery delivery, WebhookTarget target, List<InetAddress> addresses) {
        byte[] body = delivery.payload().getBytes(StandardCharsets.UTF_8);
        String url = target.uri().toString();
        HttpRequest<Buffer> request = addresses.isEmpty()
                ? client.requestAbs(HttpMethod.POST, url)
                : client.requestAbs(HttpMethod.POST,
                        SocketAddress.inetSocketAddress(target.port(), addresses.get(0).getHostAddress()), url);
        return request
                .followRedirects(false)
                .timeout(timeoutMillis)
                .putHeader("Content-Type", "application/json")
                .putHeader(EVENT_HEADER, delivery.eventType())
                .putHeader(SIGNATURE_HEADER, PayloadSigner.sign(delivery.secret(), body))
                // The receiver's answer body is irrelevant and could be huge: discard it.
                .as(BodyCodec.none())
                .sendBuffer(Buffer.buffer(body));
    }

    private AttemptOutcome failure(DueDelivery delivery, Integer status, String error) {
        return new AttemptOutcome(delivery, false, status, error, now());
    }

    private static String describe(Throwable e) {
        if (e instanceof UnsafeWebhookTargetException) {
            return e.getMessage();
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + e.getMessage();
    }

    /** Attempt times keep sub-second precision (the delivery history orders by them). */
    private LocalDateTime now() {
        return LocalDateTime.ofInstant(clock.instant(), java.time.ZoneOffset.UTC);
    }
}
