package com.proxyvault.webhooks.delivery;

import com.proxyvault.platform.http.ApiException;
import com.proxyvault.webhooks.WebhooksConfig;
import com.proxyvault.webhooks.endpoints.UnsafeWebhookTargetException;
import com.proxyvault.webhooks.endpoints.WebhookTarget;
import com.proxyvault.webhooks.endpoints.WebhookUrlPolicy;
import java.util.concurrent.TimeoutException;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.core.buffer.Buffer;
import io.vertx.mutiny.core.http.HttpClient;
import io.vertx.mutiny.core.http.HttpClientResponse;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;

/**
 * One signed POST of a delivery's stored payload (docs/webhooks.md "What a delivery looks like"). Never
 * fails: every problem becomes a failed {@link AttemptOutcome} that the dispatcher records and retries.
 *
 * <p>Headers: {@code Content-Type: application/json}, {@code X-ProxyVault-Event}, {@code X-ProxyVault-Signature}
 * (the seed's hex HMAC-SHA256 of the body with the current secret), {@code X-ProxyVault-Signature-Previous}
 * (the same with the previous secret, only during the 24 h after a rotation), and the Standard Webhooks
 * {@code webhook-id} (the event id, stable across retries), {@code webhook-timestamp} (seconds, this
 * attempt) and {@code webhook-signature} ({@code v1,<base64>} per signing secret, space-separated).
 *
 * <p>The host is resolved and checked right here ({@link WebhookUrlPolicy#resolvePublicAddresses}), and the
 * connection goes to the checked address (the name stays in {@code Host} and SNI, and the certificate is
 * verified against it), so a DNS answer cannot change between check and connect. Redirects are not
 * followed; the whole attempt is bounded by {@code proxyvault.webhooks.request-timeout} (15 s).
 */
@ApplicationScoped
public class DeliverySender {

    public static final String EVENT_HEADER = "X-ProxyVault-Event";
    public static final String SIGNATURE_HEADER = "X-ProxyVault-Signature";
    public static final String PREVIOUS_SIGNATURE_HEADER = "X-ProxyVault-Signature-Previous";
    static final int MAX_RESPONSE_BODY = 1024;
    private static final String USER_AGENT = "ProxyVault-Webhooks/1";
    /** Longest {@code Retry-After} honoured: a receiver cannot park a delivery for longer than a day. */
    static final Duration MAX_RETRY_AFTER = Duration.ofHours(24);

    private final Vertx vertx;
    private final WebhookUrlPolicy urlPolicy;
    private final HttpClient client;
    private final Duration timeout;
    private final Clock clock;

    public DeliverySender(Vertx vertx, WebhookUrlPolicy urlPolicy, WebhooksConfig config, Clock clock) {
        this.vertx = vertx;
        this.clock = clock;
        this.urlPolicy = urlPolicy;
        this.timeout = config.requestTimeout();
        this.client = vertx.createHttpClient(new HttpClientOptions()
                // Our trace ids stay ours: no traceparent header to a reseller's receiver.
                .setTracingPolicy(io.vertx.core.tracing.TracingPolicy.IGNORE)
                .setConnectTimeout((int) timeout.toMillis())
                .setForceSni(true)
                .setVerifyHost(true)
                // Vert.x counts this per server address (host:port), not per endpoint: at the endpoint limit (8) one
                // reseller's slow endpoints on a shared receiver held every connection to it, and other resellers'
                // attempts to that host:port waited in the pool until they "timed out" unsent (verification of the
                // fairness fix, stop 34). The dispatcher bounds attempts per endpoint and per replica; the pool must
                // never be the bound, so it is the replica's limit (SharedReceiverTest).
                .setMaxPoolSize(Math.max(config.maxInFlight(), config.endpointConcurrency()))
                .setKeepAlive(true));
    }

    @PreDestroy
    void close() {
        client.close().await().indefinitely();
    }

    /** One attempt; the returned Uni never fails. */
    public Uni<AttemptOutcome> send(DueDelivery delivery) {
        LocalDateTime attemptedAt = now();
        long started = System.nanoTime();
        WebhookTarget target;
        try {
            // Re-checked at send time: the rules or the allowlist may have changed since registration.
            target = urlPolicy.parse(delivery.url());
        } catch (ApiException e) {
            return Uni.createFrom().item(failure(delivery, attemptedAt, started, null, e.detail()));
        }
        // Resolve again (DNS may have changed since registration), off the event loop; a target checked without
        // DNS (IP literal, allowlisted host) needs no worker thread.
        Uni<List<InetAddress>> checked = target.needsLookup()
                ? vertx.executeBlocking(() -> urlPolicy.resolvePublicAddresses(target), false)
                : Uni.createFrom().item(() -> urlPolicy.resolvePublicAddresses(target));
        return checked
                .chain(addresses -> post(delivery, target, addresses, attemptedAt))
                // A guard only: the client's own connect and idle timeouts (the same 15 s) end a slow attempt first and
                // give its connection back; a Uni cancelled here while Vert.x still held the request left that
                // connection leased for good (the pool to that host:port locked up, stop 34), so the request is reset
                // on cancellation in post() as well.
                .ifNoItem().after(timeout.plusSeconds(2)).failWith(() -> new TimeoutException("no complete answer within " + timeout.toSeconds() + " s"))
                .map(answer -> {
                    int status = answer.status();
                    long durationMs = elapsedMs(started);
                    if (status >= 200 && status < 300) {
                        return new AttemptOutcome(delivery, true, status, null, attemptedAt, durationMs, answer.body(), null);
                    }
                    Duration retryAfter = status == 429 || status == 503 ? retryAfter(answer.retryAfter()) : null;
                    return new AttemptOutcome(delivery, false, status, "HTTP " + status, attemptedAt, durationMs, answer.body(), retryAfter);
                })
                .onFailure().recoverWithItem(e -> failure(delivery, attemptedAt, started, null, describe(e, timeout)));
    }

    private record Answer(int status, String body, String retryAfter) {
    }

    private Uni<Answer> post(DueDelivery delivery, WebhookTarget target, List<InetAddress> addresses, LocalDateTime attemptedAt) {
        byte[] body = delivery.payload().getBytes(StandardCharsets.UTF_8);
        long timestamp = attemptedAt.toEpochSecond(ZoneOffset.UTC);
        RequestOptions options = new RequestOptions()
                .setMethod(HttpMethod.POST)
                .setAbsoluteURI(target.uri().toString())
                .setFollowRedirects(false)
                .setIdleTimeout(timeout.toMillis())
                .putHeader("Content-Type", "application/json")
                .putHeader("User-Agent", USER_AGENT)
                .putHeader(EVENT_HEADER, delivery.eventType())
                .putHeader(SIGNATURE_HEADER, PayloadSigner.sign(delivery.secret(), body))
                .putHeader(StandardWebhooksSigner.ID_HEADER, delivery.eventId())
                .putHeader(StandardWebhooksSigner.TIMESTAMP_HEADER, Long.toString(timestamp));
        String signatures = StandardWebhooksSigner.sign(delivery.secret(), delivery.eventId(), timestamp, body);
        if (delivery.previousSecret() != null) {
            options.putHeader(PREVIOUS_SIGNATURE_HEADER, PayloadSigner.sign(delivery.previousSecret(), body));
            signatures += " " + StandardWebhooksSigner.sign(delivery.previousSecret(), delivery.eventId(), timestamp, body);
        }
        options.putHeader(StandardWebhooksSigner.SIGNATURE_HEADER, signatures);
        if (!addresses.isEmpty()) {
            // Connect to the address that was checked, not whatever the name resolves to a moment later.
            options.setServer(SocketAddress.inetSocketAddress(target.port(), addresses.get(0).getHostAddress()));
        }
        return client.request(options)
                .chain(request -> request.send(Buffer.buffer(body))
                        .chain(response -> firstBytes(response)
                                .map(text -> new Answer(response.statusCode(), text, response.getHeader("Retry-After"))))
                        // abandoned (the guard above): reset, so the connection is closed, not left leased
                        .onCancellation().invoke(request::reset));
    }

    /** Reads the whole answer (so the connection can be reused) and keeps its first bytes. */
    private static Uni<String> firstBytes(HttpClientResponse response) {
        return response.toMulti()
                .collect().in(ByteArrayOutputStream::new, (kept, chunk) -> {
                    int room = MAX_RESPONSE_BODY - kept.size();
                    if (room > 0) {
                        byte[] bytes = chunk.getBytes();
                        kept.write(bytes, 0, Math.min(room, bytes.length));
                    }
                })
                .map(kept -> new String(kept.toByteArray(), StandardCharsets.UTF_8));
    }

    /**
     * {@code Retry-After} as seconds or an HTTP date (RFC 9110 §10.2.3), clamped to 0..{@link #MAX_RETRY_AFTER};
     * null when absent or unreadable.
     */
    Duration retryAfter(String header) {
        if (header == null || header.isBlank()) {
            return null;
        }
        String value = header.strip();
        Duration wait;
        if (value.chars().allMatch(Character::isDigit)) {
            wait = value.length() > 9 ? MAX_RETRY_AFTER : Duration.ofSeconds(Long.parseLong(value));
        } else {
            try {
                Instant at = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
                wait = Duration.between(clock.instant(), at);
            } catch (DateTimeParseException e) {
                return null;
            }
        }
        if (wait.isNegative()) {
            return Duration.ZERO;
        }
        return wait.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : wait;
    }

    private AttemptOutcome failure(DueDelivery delivery, LocalDateTime attemptedAt, long started, Integer status, String error) {
        return new AttemptOutcome(delivery, false, status, error, attemptedAt, elapsedMs(started), null, null);
    }

    private static long elapsedMs(long startedNanos) {
        return Duration.ofNanos(System.nanoTime() - startedNanos).toMillis();
    }

    /**
     * Why an attempt that got no answer failed, in words a reseller reads in its delivery history ({@code error},
     * docs/webhooks.md "History"): the URL rule that refused the address, a timeout (with the limit), a refused
     * connection, a name that does not resolve, a TLS failure, or a connection closed before the answer. The first such
     * cause in the chain decides; anything else keeps its exception's name and message. Before, every one showed the
     * client library's class name ({@code NoStackTraceTimeoutException: The timeout period of 15000ms ...},
     * {@code AnnotatedConnectException: ...}; verification review, stop 35).
     */
    static String describe(Throwable e, Duration timeout) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof UnsafeWebhookTargetException) {
                return cause.getMessage();
            }
            if (cause instanceof io.netty.channel.ConnectTimeoutException) {
                return "timeout: could not connect within " + timeout.toSeconds() + " s";
            }
            if (cause instanceof TimeoutException) {
                return "timeout: no complete answer within " + timeout.toSeconds() + " s";
            }
            if (cause instanceof java.net.ConnectException) {
                return "connection refused" + addressOf(cause.getMessage());
            }
            if (cause instanceof java.net.UnknownHostException) {
                return "the host name does not resolve";
            }
            if (cause instanceof javax.net.ssl.SSLException) {
                return "TLS failed: " + cause.getMessage();
            }
            if (cause instanceof io.vertx.core.http.HttpClosedException) {
                return "the connection closed before a complete answer";
            }
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + e.getMessage();
    }

    /** {@code " (127.0.0.1:8443)"} from Netty's {@code "Connection refused: /127.0.0.1:8443"}, else nothing. */
    private static String addressOf(String message) {
        int slash = message == null ? -1 : message.lastIndexOf('/');
        return slash < 0 || slash == message.length() - 1 ? "" : " (" + message.substring(slash + 1) + ")";
    }

    /** Attempt times keep sub-second precision (the delivery history orders by them). */
    private LocalDateTime now() {
        return LocalDateTime.ofInstant(clock.instant(), ZoneOffset.UTC);
    }
}
