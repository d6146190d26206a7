package com.proxyvault.gateway.edge;

import com.proxyvault.gateway.auth.ApiKeyAuthenticator;
import com.proxyvault.gateway.auth.ApiKeyRefusal;
import com.proxyvault.gateway.console.ConsolePages;
import com.proxyvault.gateway.auth.EdgeIdentity;
import com.proxyvault.gateway.auth.FailedAuthentications;
import com.proxyvault.gateway.auth.InternalTokenIssuer;
import com.proxyvault.gateway.forwarding.UpstreamInstances;
import com.proxyvault.gateway.forwarding.Upstreams;
import com.proxyvault.gateway.keys.ApiKeys;
import com.proxyvault.gateway.ratelimit.RateLimiter;
import io.opentelemetry.api.trace.Span;
import io.quarkus.vertx.http.runtime.VertxHttpRecorder;
import com.proxyvault.gateway.idempotency.Begin;
import com.proxyvault.gateway.idempotency.IdempotencyKeys;
import com.proxyvault.gateway.idempotency.IdempotencyStore;
import com.proxyvault.platform.http.ApiException;
import com.proxyvault.platform.input.Utf8;
import com.proxyvault.platform.http.ErrorCodes;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.RequestOptions;
import org.jboss.logging.Logger;

import java.util.List;
import java.util.regex.Pattern;

/**
 * What the public port does with each request (docs/api.md). In order:
 * <ol>
 *   <li>a singleton header sent more than once ({@link #SINGLETON_HEADERS}) gets 400, before anything reads it;</li>
 *   <li>an address throttled for failed authentication gets 429 ({@link FailedAuthentications});</li>
 *   <li>a declared body over the limit gets 413, a body in a {@code Content-Encoding} or with a {@code charset}
 *       other than UTF-8 415;</li>
 *   <li>{@code /v1/reseller/*}: the {@code rv_} key is authenticated ({@link ApiKeyAuthenticator}, no
 *       database round trip when cached) and counted against its rate limit ({@link RateLimiter}, with
 *       {@code RateLimit-Policy}/{@code RateLimit} headers on every answer); then the gateway's own
 *       {@code keys} resource gets it through Quarkus' router, and every other path is forwarded to the
 *       service that owns it ({@link Upstreams#OWNERS}) with an internal token for that service
 *       ({@link InternalTokenIssuer}) on the Vert.x HTTP client, the body read once into one buffer;</li>
 *   <li>{@code /v1/admin/*} goes to Quarkus' router (operator JWTs, RESTEasy resources);</li>
 *   <li>{@code /openapi.json} is the public API's OpenAPI document;</li>
 *   <li>{@code /}, {@code /admin} and {@code /console/*} are the consoles' static files ({@link ConsolePages});</li>
 *   <li>anything else is 404.</li>
 * </ol>
 * One instance per event loop (each with its own HTTP client, so forwarding never hops threads).
 */
public final class EdgeRequests {

    private static final Logger LOG = Logger.getLogger(EdgeRequests.class);
    private static final String RESELLER_PREFIX = "/v1/reseller/";
    /** How much of a refused body is read and dropped so the client can read the 413. */
    private static final long MAX_DRAIN_BYTES = 4L * 1024 * 1024;
    private static final String ADMIN_PREFIX = "/v1/admin/";
    /** Every public path under /v1/reseller is made of plain segments: no encoded or dot segments. */
    private static final Pattern PUBLIC_PATH = Pattern.compile("/v1/reseller(/[A-Za-z0-9_-]+)+/?");
    /** Request headers a service may need; the caller's Authorization is never passed on. */
    private static final List<CharSequence> FORWARDED_REQUEST_HEADERS = List.of(
            HttpHeaders.CONTENT_TYPE, HttpHeaders.ACCEPT, "X-Request-Id");
    private static final List<CharSequence> RETURNED_RESPONSE_HEADERS = List.of(
            HttpHeaders.CONTENT_TYPE, "Retry-After", HttpHeaders.LOCATION, HttpHeaders.ALLOW, "WWW-Authenticate");
    /**
     * Header fields that may appear only once and that the gateway or the resources behind it read with
     * "the first value": RFC 9110 defines {@code Authorization} (11.6.2), {@code Content-Type} (8.3) and
     * {@code Host} (7.2; RFC 9112 3.2: "MUST respond with a 400" to more than one) as singletons, and
     * {@code Idempotency-Key} is one (draft-ietf-httpapi-idempotency-key-header, 2). A second line could make
     * the gateway and a service behind it read two different requests (authenticated as one key, judged as
     * another), so such a request is refused before anything reads it (docs/api.md, "Repeated headers").
     */
    static final List<String> SINGLETON_HEADERS = List.of("Authorization", "Content-Type", "Host", IdempotencyKeys.HEADER);

    /** The singletons every event loop's instance shares. */
    public record Shared(EdgeConfig config, ApiKeyAuthenticator authenticator, RateLimiter rateLimiter,
                         IdempotencyStore idempotency, FailedAuthentications failures, ClientAddresses clientAddresses,
                         InternalTokenIssuer tokens, Upstreams upstreams, UpstreamInstances instances,
                         EdgeIdentity identity, OpenApiDocument openApi, ConsolePages console) {
    }

    private final Shared shared;
    private final HttpClient client;

    public EdgeRequests(Shared shared, HttpClient client) {
        this.shared = shared;
        this.client = client;
    }

    public void handle(HttpServerRequest request) {
        request.headers().remove(EdgeIdentity.HEADER);
        HttpServerResponse response = request.response();
        TraceContext trace = TraceContext.of(request);
        response.putHeader("X-Request-Id", trace.traceId());
        if (trace.traceparent() != null) {
            // What the gateway's own resources pass on to the services (InternalOperatorApi).
            request.headers().set(TraceContext.HEADER, trace.traceparent());
        }
        String repeated = repeatedSingleton(request.headers());
        if (repeated != null) {
            // Not counted as a failed authentication: no credentials were looked at.
            ErrorResponses.send(response, 400, "bad_request",
                    "The " + repeated + " header must appear only once in a request");
            return;
        }
        if (request.version() == io.vertx.core.http.HttpVersion.HTTP_1_1 && request.getHeader(HttpHeaders.HOST) == null) {
            // RFC 9112 §3.2: a server MUST answer 400 to an HTTP/1.1 request without Host (Vert.x lets it through)
            ErrorResponses.send(response, 400, "bad_request", "An HTTP/1.1 request must have a Host header");
            return;
        }
        if (request.path().startsWith("/v1/") && rulesOutJson(request.getHeader(HttpHeaders.ACCEPT))) {
            // Judged here for every API path: the services' negotiation ignored q=0 (new-user review)
            ErrorResponses.send(response, 406, "not_acceptable", "Not Acceptable: this API answers application/json");
            return;
        }
        String badQuery = malformedQuery(request.query());
        if (badQuery != null) {
            // Judged here, once, for every path: Quarkus' router (the keys resource, /v1/admin) answered such a
            // query with a bare 400 and the services each in their own way.
            ErrorResponses.send(response, 400, "bad_request", "Malformed query string: " + badQuery);
            return;
        }
        String repeatedParameter = repeatedQueryParameter(request.query());
        if (repeatedParameter != null) {
            // Every parameter of this API takes one value; the services would take the first and ignore the rest,
            // so "?status=paid&status=active" answered as if the second were not there (new-user review).
            ErrorResponses.send(response, 400, "bad_request",
                    "Query parameter '" + repeatedParameter + "' must appear only once");
            return;
        }
        String address = shared.clientAddresses().of(request);
        long waitSeconds = shared.failures().retryAfterSeconds(address);
        if (waitSeconds > 0) {
            response.putHeader("Retry-After", Long.toString(waitSeconds)).putHeader(HttpHeaders.CONNECTION, "close");
            ErrorResponses.send(response, 429, "too_many_failed_authentications",
                    "Too many failed authentications from this address; retry after " + waitSeconds + " s");
            return;
        }
        if (declaredBodyTooLarge(request)) {
            refuseTooLarge(request);
            return;
        }
        String coding = unsupportedContentEncoding(contentEncoding(request.headers()));
        if (coding != null) {
            ErrorResponses.send(response, 415, "unsupported_media_type",
                    "Content-Encoding " + coding + " is not supported: send the body uncompressed");
            return;
        }
        String mediaType = hasBody(request.headers()) ? unsupportedMediaType(request.getHeader(HttpHeaders.CONTENT_TYPE)) : null;
        if (mediaType != null) {
            // Judged here, once, for every request with a body: the services' @Consumes took "*/*" and "application/*"
            // as JSON, and an action that reads no body (rotate-secret, disconnect, drain) ran whatever body and type
            // it came with (new-user review: "text/plain" "garbage" rotated the secret).
            ErrorResponses.send(response, 415, "unsupported_media_type", "Content-Type " + mediaType
                    + " is not supported: send the body as application/json");
            return;
        }
        String charset = hasBody(request.headers()) ? unsupportedCharset(request.getHeader(HttpHeaders.CONTENT_TYPE)) : null;
        if (charset != null) {
            // Judged here, once, for every path: the services' @Consumes matched application/json whatever its
            // charset and judged the bytes as UTF-8 all the same (new-user review: latin1 was accepted).
            ErrorResponses.send(response, 415, "unsupported_media_type", "Content-Type charset '" + charset
                    + "' is not supported: send the body as UTF-8 (charset=utf-8, or no charset)");
            return;
        }
        String path = request.path();
        if (path.startsWith(RESELLER_PREFIX)) {
            reseller(request, address);
        } else if (path.startsWith(ADMIN_PREFIX)) {
            VertxHttpRecorder.getRootHandler().handle(request);
        } else if (path.equals("/openapi.json") && request.method() == HttpMethod.GET) {
            shared.openApi().send(response);
        } else if (!shared.console().answer(request)) {
            ErrorResponses.notFound(response);
        }
    }

    private void reseller(HttpServerRequest request, String address) {
        HttpServerResponse response = request.response();
        String key = bearer(request.getHeader(HttpHeaders.AUTHORIZATION));
        if (key == null) {
            refuseUnauthenticated(request, address);
            return;
        }
        request.pause();
        Context context = Vertx.currentContext();
        shared.authenticator().authenticate(key).onComplete(authenticated -> {
            if (authenticated.failed()) {
                LOG.warnf("API key lookup failed (X-Request-Id %s): %s", requestId(request), authenticated.cause().toString());
                request.resume();
                ErrorResponses.unavailable(response);
                return;
            }
            if (authenticated.result() == null) {
                request.resume();
                refuseUnauthenticated(request, address);
                return;
            }
            long resellerId = authenticated.result().resellerId();
            shared.rateLimiter().acquire(Long.toString(authenticated.result().keyId())).subscribe().with(
                    decision -> onContext(context, () -> limited(request, resellerId, decision)),
                    failure -> onContext(context, () -> {
                        LOG.warnf("Rate limit check failed (X-Request-Id %s): %s", requestId(request), failure.toString());
                        ErrorResponses.unavailable(response);
                    }));
        });
    }

    /** Every authenticated answer carries the key's rate-limit state; a refusal is 429 with Retry-After. */
    private void limited(HttpServerRequest request, long resellerId, RateLimiter.Decision decision) {
        HttpServerResponse response = request.response();
        decision.headers().forEach(response::putHeader);
        if (!decision.allowed()) {
            request.resume();
            ErrorResponses.send(response, 429, "rate_limited", "Rate limit exceeded: " + decision.limit()
                    + " requests per minute per API key");
            return;
        }
        route(request, resellerId);
    }

    private void route(HttpServerRequest request, long resellerId) {
        String path = request.path();
        HttpServerResponse response = request.response();
        if (!PUBLIC_PATH.matcher(path).matches()) {
            request.resume();
            ErrorResponses.notFound(response);
            return;
        }
        int end = path.indexOf('/', RESELLER_PREFIX.length());
        String firstSegment = path.substring(RESELLER_PREFIX.length(), end < 0 ? path.length() : end);
        if (firstSegment.equals("keys")) {
            // The gateway's own resource, through Quarkus' router in this process.
            request.headers().set(EdgeIdentity.HEADER, shared.identity().assertionFor(resellerId));
            VertxHttpRecorder.getRootHandler().handle(request);
            return;
        }
        String service = Upstreams.OWNERS.get(firstSegment);
        String baseUrl = service == null ? null : shared.instances().pick(service);
        if (baseUrl == null) {
            request.resume();
            ErrorResponses.notFound(response);
            return;
        }
        readBody(request).onComplete(read -> {
            if (read.failed()) {
                if (read.cause() instanceof BodyTooLarge) {
                    refuseTooLarge(request);
                } else {
                    response.reset();
                }
                return;
            }
            String idempotencyKey = request.getHeader(IdempotencyKeys.HEADER);
            if (idempotencyKey != null && IdempotencyKeys.appliesTo(request.method().name(), path)) {
                idempotent(request, service, baseUrl, resellerId, read.result(), idempotencyKey);
            } else {
                forward(request, service, baseUrl, resellerId, read.result(), null);
            }
        });
    }

    /**
     * {@code Idempotency-Key} on the POSTs that create or pay (docs/api.md, "Idempotency-Key"): the first
     * request is forwarded and its answer stored, a repeat with the same body gets the stored answer with
     * {@code Idempotent-Replayed: true}, another body 422, a repeat while the first is in flight 409.
     */
    private void idempotent(HttpServerRequest request, String service, String baseUrl, long resellerId, Buffer body,
                            String key) {
        HttpServerResponse response = request.response();
        Context context = Vertx.currentContext();
        shared.idempotency().begin(resellerId, key, request.method().name(), request.path(), body.getBytes())
                .subscribe().with(begin -> onContext(context, () -> {
                    if (begin instanceof Begin.Proceed proceed) {
                        forward(request, service, baseUrl, resellerId, body, proceed.token());
                    } else if (begin instanceof Begin.Replay replay) {
                        Buffer stored = Buffer.buffer(replay.body());
                        response.setStatusCode(replay.status()).putHeader(IdempotencyKeys.REPLAYED_HEADER, "true");
                        if (replay.contentType() != null) {
                            response.putHeader(HttpHeaders.CONTENT_TYPE, replay.contentType());
                        }
                        response.putHeader(HttpHeaders.CONTENT_LENGTH, Integer.toString(stored.length())).end(stored);
                    } else if (begin instanceof Begin.InProgress) {
                        ErrorResponses.send(response, 409, IdempotencyKeys.CODE_IN_PROGRESS,
                                "A request with this Idempotency-Key is still being processed; retry later");
                    } else {
                        ErrorResponses.send(response, 422, IdempotencyKeys.CODE_REUSED,
                                "This Idempotency-Key was used for another request (method, path or body)");
                    }
                }), failure -> onContext(context, () -> {
                    if (failure instanceof ApiException invalid && invalid.status() == 422) {
                        ErrorResponses.send(response, 422, IdempotencyKeys.CODE_INVALID, invalid.detail());
                    } else {
                        LOG.warnf("Idempotency-Key store unavailable (X-Request-Id %s): %s", requestId(request), failure.toString());
                        ErrorResponses.unavailable(response);
                    }
                }));
    }

    private void forward(HttpServerRequest request, String service, String baseUrl, long resellerId, Buffer body,
                         Begin.Token idempotencyToken) {
        forward(request, service, baseUrl, resellerId, body, idempotencyToken, false);
    }

    private void forward(HttpServerRequest request, String service, String baseUrl, long resellerId, Buffer body,
                         Begin.Token idempotencyToken, boolean retried) {
        HttpServerResponse response = request.response();
        RequestOptions options = new RequestOptions().setMethod(request.method());
        try {
            // The origin form (path and query): a request line in absolute form (RFC 9112 §3.2.2, which a server
            // must accept: "GET http://host/v1/reseller/balance") made "http://upstream:8081http://host/..."
            // here, and the exception left the request unanswered (new-user review).
            options.setAbsoluteURI(baseUrl + originForm(request));
        } catch (RuntimeException unusable) {
            if (idempotencyToken != null) {
                shared.idempotency().release(idempotencyToken).subscribe().with(ignored -> { }, ignored -> { });
            }
            ErrorResponses.send(response, 400, "bad_request", "Malformed request target");
            return;
        }
        options
                .setIdleTimeout(shared.upstreams().upstreamTimeout().toMillis())
                .putHeader(HttpHeaders.AUTHORIZATION, "Bearer " + shared.tokens().forReseller(resellerId, service));
        for (CharSequence header : FORWARDED_REQUEST_HEADERS) {
            String value = request.getHeader(header);
            if (value != null) {
                options.putHeader(header, value);
            }
        }
        if (idempotencyToken != null) {
            // The service keeps the key with its write (docs/api.md "What the services keep"): should this gateway give
            // up on the request (upstream timeout: the key is released), the retry it forwards finds that write.
            options.putHeader(IdempotencyKeys.HEADER, request.getHeader(IdempotencyKeys.HEADER));
        }
        String traceparent = request.getHeader(TraceContext.HEADER);
        if (traceparent != null && !Span.current().getSpanContext().isValid()) {
            options.putHeader(TraceContext.HEADER, traceparent); // set by handle(): ours, not the caller's
        }
        client.request(options)
                .compose(upstream -> body.length() == 0 ? upstream.send() : upstream.send(body))
                .compose(upstream -> upstream.body().map(raw -> {
                    boolean head = request.method() == HttpMethod.HEAD;
                    Buffer errorBody = bodyForBareError(upstream, raw);
                    Buffer answer = errorBody == null ? raw : errorBody;
                    String contentType = errorBody == null ? upstream.getHeader(HttpHeaders.CONTENT_TYPE) : "application/json";
                    if (idempotencyToken == null) {
                        relay(upstream, answer, contentType, response, head);
                    } else {
                        // Stored before the client sees it, so a retry after this answer is always a replay.
                        Context context = Vertx.currentContext();
                        shared.idempotency().complete(idempotencyToken, upstream.statusCode(), contentType,
                                answer.getBytes()).subscribe().with(
                                done -> onContext(context, () -> relay(upstream, answer, contentType, response, head)),
                                failure -> onContext(context, () -> {
                                    LOG.warnf("Storing the answer for an Idempotency-Key failed (X-Request-Id %s): %s", requestId(request), failure.toString());
                                    relay(upstream, answer, contentType, response, head);
                                }));
                    }
                    return null;
                }))
                .onFailure(failure -> {
                    if (UpstreamInstances.isConnectFailure(failure)) {
                        // Never reached the instance (killed, restarting): out of rotation, and the request
                        // goes to another one, once, as a Kubernetes Service would after its endpoint left.
                        shared.instances().connectFailed(service, baseUrl);
                        String other = retried ? null : shared.instances().another(service, baseUrl);
                        if (other != null) {
                            forward(request, service, other, resellerId, body, idempotencyToken, true);
                            return;
                        }
                    }
                    LOG.warnf("Forwarding %s %s to %s failed (X-Request-Id %s): %s", request.method(), request.path(), service,
                            requestId(request), failure.toString());
                    if (idempotencyToken != null) {
                        shared.idempotency().release(idempotencyToken).subscribe().with(ignored -> { }, ignored -> { });
                    }
                    ErrorResponses.unavailable(response);
                });
    }

    /**
     * The id this request's answer carries as {@code X-Request-Id} (its trace id), for the gateway's own log lines on
     * the public port: they run outside any span, so their {@code traceId=} is empty, and a reseller quoting the id of
     * a 503 found it in no log (new-user review 5, finding 6; docs/local-stack.md "Logs").
     */
    private static String requestId(HttpServerRequest request) {
        return request.response().headers().get("X-Request-Id");
    }

    /** The request target in origin form ({@code /path?query}), whichever form the request line used. */
    private static String originForm(HttpServerRequest request) {
        String query = request.query();
        return query == null ? request.path() : request.path() + "?" + query;
    }

    /** Runs {@code action} on the request's own context (store callbacks may complete on another thread). */
    private static void onContext(Context context, Runnable action) {
        if (context == null || Vertx.currentContext() == context) {
            action.run();
        } else {
            context.runOnContext(ignored -> action.run());
        }
    }

    /**
     * Hands the upstream's answer to the client: its status, the allow-listed headers, {@code body} of {@code contentType}.
     * To a {@code HEAD} ({@code head}) the body is empty, and {@code Content-Length} is the upstream's, which states the
     * length a {@code GET} would have, or none: RFC 9110 §8.6 forbids a HEAD answer's {@code Content-Length} that differs
     * from the GET's, and the empty body's 0 said exactly that (hostile review, stop 35, L1).
     */
    private static void relay(HttpClientResponse upstream, Buffer body, String contentType, HttpServerResponse response,
                              boolean head) {
        if (response.ended() || response.closed()) {
            return;
        }
        response.setStatusCode(upstream.statusCode());
        for (CharSequence header : RETURNED_RESPONSE_HEADERS) {
            String value = upstream.getHeader(header);
            if (value != null) {
                response.putHeader(header, value);
            }
        }
        if (contentType != null) {
            response.putHeader(HttpHeaders.CONTENT_TYPE, contentType);
        }
        if (head) {
            String getLength = upstream.getHeader(HttpHeaders.CONTENT_LENGTH);
            if (getLength != null) {
                response.putHeader(HttpHeaders.CONTENT_LENGTH, getLength);
            }
            response.end();
            return;
        }
        response.putHeader(HttpHeaders.CONTENT_LENGTH, Integer.toString(body.length()));
        response.end(body);
    }

    /**
     * The public error body for an upstream error status that came without a body, else {@code null}.
     * A service's HTTP server answers some refusals itself before any resource runs (Vert.x' bare 413, 414,
     * 431); the client still gets {@code {"detail", "code"}} with the status's default code
     * ({@link ErrorCodes#forStatus(int)}), as on every other 4xx and 5xx (docs/api.md, "Error body and codes").
     */
    private static Buffer bodyForBareError(HttpClientResponse upstream, Buffer body) {
        int status = upstream.statusCode();
        if (body.length() > 0 || status < 400) {
            return null;
        }
        String reason = upstream.statusMessage();
        return ErrorResponses.body(reason == null || reason.isBlank() ? "HTTP " + status : reason, ErrorCodes.forStatus(status));
    }

    /** Reads the whole body into one buffer, refusing it ({@link BodyTooLarge}) once it passes the limit. */
    private Future<Buffer> readBody(HttpServerRequest request) {
        int max = shared.config().maxBodyBytes();
        Promise<Buffer> read = Promise.promise();
        Buffer body = Buffer.buffer();
        request.handler(chunk -> {
            if (read.future().isComplete()) {
                return;
            }
            if (body.length() + chunk.length() > max) {
                read.tryFail(new BodyTooLarge());
                return;
            }
            body.appendBuffer(chunk);
        });
        request.exceptionHandler(read::tryFail);
        request.endHandler(ignored -> read.tryComplete(body));
        request.resume();
        return read.future();
    }

    private static final class BodyTooLarge extends RuntimeException {
        BodyTooLarge() {
            super(null, null, false, false);
        }
    }

    /**
     * The coding of a {@code Content-Encoding} header the API cannot read, or null when the body is sent as
     * is (no header, empty, or {@code identity}, any case). Anything else is refused with 415 before a byte is
     * read (RFC 9110 section 8.4: a server may answer 415 to a content coding it does not accept; docs/api.md):
     * the header is not forwarded, so a service used to judge gzipped bytes as JSON (400 "not valid UTF-8"),
     * and a plain body labelled {@code br} was taken as if unlabelled.
     */
    static String unsupportedContentEncoding(String header) {
        if (header == null) {
            return null;
        }
        String coding = header.trim();
        return coding.isEmpty() || coding.equalsIgnoreCase("identity") ? null : coding;
    }

    /**
     * The media type of a {@code Content-Type} header (without its parameters) when it is not
     * {@code application/json}, or null: no header (a body without one is read as JSON, docs/api.md "Error body and
     * codes"), or {@code application/json} in any case (RFC 9110 §8.3.1: type and subtype are case-insensitive).
     * Ranges such as {@code *}{@code /*} or {@code application/*} belong in {@code Accept}, not here: they name no
     * type, so they are refused like any other (RFC 9110 §8.3).
     */
    static String unsupportedMediaType(String contentType) {
        if (contentType == null) {
            return null;
        }
        int semicolon = contentType.indexOf(';');
        String type = (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).strip();
        return type.equalsIgnoreCase("application/json") ? null : type;
    }

    /**
     * The {@code charset} parameter of a {@code Content-Type} header when it names anything but UTF-8, as sent
     * (unquoted), or null: no header, no charset, or {@code utf-8} in any case, quoted or not (RFC 9110 §8.3.2:
     * charset names are case-insensitive, and a quoted value is the same value). The common misspelling
     * {@code utf8} (MySQL's name, which clients copy) means UTF-8 too and was always served, so it still is. The
     * API reads every body as UTF-8 (JSON is UTF-8, RFC 8259 §8.1), so a body labelled {@code latin1} or
     * {@code utf-16} would be read as something its sender did not mean; it is refused with 415 instead.
     */
    static String unsupportedCharset(String contentType) {
        if (contentType == null) {
            return null;
        }
        String[] parts = contentType.split(";");
        for (int i = 1; i < parts.length; i++) {
            String[] param = parts[i].split("=", 2);
            if (!param[0].strip().equalsIgnoreCase("charset")) {
                continue;
            }
            String value = param.length == 2 ? param[1].strip() : "";
            if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
                value = value.substring(1, value.length() - 1);
            }
            if (!value.equalsIgnoreCase("utf-8") && !value.equalsIgnoreCase("utf8")) {
                return value;
            }
        }
        return null;
    }

    /**
     * Whether the request carries a body (RFC 9112 §6.3): a {@code Transfer-Encoding}, or a {@code Content-Length}
     * other than 0. Only a body has a charset to judge; a GET that sends a stray {@code Content-Type} is served.
     */
    static boolean hasBody(MultiMap headers) {
        if (headers.contains(HttpHeaders.TRANSFER_ENCODING)) {
            return true;
        }
        String length = headers.get(HttpHeaders.CONTENT_LENGTH);
        if (length == null) {
            return false;
        }
        try {
            return Long.parseLong(length.trim()) != 0;
        } catch (NumberFormatException e) {
            return true; // Netty's codec refuses a malformed Content-Length before this is asked
        }
    }

    /**
     * Whether an {@code Accept} header rules out {@code application/json} (RFC 9110 §12.5.1): the most specific
     * range that matches it ({@code application/json}, then {@code application/*}, then {@code *}{@code /*})
     * has {@code q=0}, or no range matches it at all. No header, or an empty one, accepts anything.
     */
    static boolean rulesOutJson(String accept) {
        if (accept == null || accept.isBlank()) {
            return false;
        }
        int specificity = -1;
        double quality = 0;
        for (String range : accept.split(",")) {
            String[] parts = range.split(";");
            String type = parts[0].strip().toLowerCase(java.util.Locale.ROOT);
            int rank = switch (type) {
                case "application/json" -> 2;
                case "application/*" -> 1;
                case "*/*" -> 0;
                default -> -1;
            };
            if (rank <= specificity) {
                continue;
            }
            double q = 1;
            for (int i = 1; i < parts.length; i++) {
                String[] param = parts[i].split("=", 2);
                if (param.length == 2 && param[0].strip().equalsIgnoreCase("q")) {
                    try {
                        q = Double.parseDouble(param[1].strip());
                    } catch (NumberFormatException e) {
                        q = 1; // a weight that is not a number weighs nothing out
                    }
                }
            }
            specificity = rank;
            quality = q;
        }
        return specificity < 0 || quality <= 0;
    }

    /**
     * Why {@code query} (the raw query string, null when there is none) cannot be decoded, or null when it
     * can: every {@code %} must start an escape of two hex digits (RFC 3986 §2.1), and the escaped bytes must
     * be UTF-8 (RFC 3986 §2.5; what every service decodes them as), judged by the check JSON bodies pass too
     * ({@link Utf8#isWellFormed}).
     */
    static String malformedQuery(String query) {
        if (query == null || query.indexOf('%') < 0) {
            return null;
        }
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(query.length());
        for (int i = 0; i < query.length(); i++) {
            char c = query.charAt(i);
            if (c != '%') {
                bytes.write(c);
                continue;
            }
            if (i + 2 >= query.length() || Character.digit(query.charAt(i + 1), 16) < 0
                    || Character.digit(query.charAt(i + 2), 16) < 0) {
                return "'%' at offset " + i + " does not start a percent-escape of two hex digits";
            }
            bytes.write(Character.digit(query.charAt(i + 1), 16) * 16 + Character.digit(query.charAt(i + 2), 16));
            i += 2;
        }
        return Utf8.isWellFormed(bytes.toByteArray()) ? null : "its percent-escapes do not encode UTF-8";
    }

    /**
     * The first query parameter name that {@code query} (raw, well-formed per {@link #malformedQuery}, null when
     * there is none) holds more than once, compared after percent-decoding as the services decode it
     * ({@code st%61tus} is {@code status}), or null. Every parameter of the API takes one value (docs/api.md
     * "Query parameters"), so a repeated one is refused rather than its later values silently dropped.
     */
    static String repeatedQueryParameter(String query) {
        if (query == null || query.indexOf('&') < 0) {
            return null;
        }
        for (var parameter : new io.netty.handler.codec.http.QueryStringDecoder(query, false).parameters().entrySet()) {
            if (parameter.getValue().size() > 1) {
                return parameter.getKey();
            }
        }
        return null;
    }

    /**
     * The first of {@link #SINGLETON_HEADERS} that {@code headers} hold more than once (names compared
     * ignoring case, as HTTP does), or null. Two lines with the same value count as repeated too: a client
     * that sends them is confused, and refusing is the one answer that needs no guess.
     */
    static String repeatedSingleton(MultiMap headers) {
        for (String name : SINGLETON_HEADERS) {
            if (headers.getAll(name).size() > 1) {
                return name;
            }
        }
        return null;
    }

    /**
     * {@code Content-Encoding} is a list (RFC 9110 8.4): several lines mean the codings of all of them, in
     * order, so they are judged together ({@code identity} on one line does not hide {@code gzip} on the next).
     */
    static String contentEncoding(MultiMap headers) {
        List<String> lines = headers.getAll(HttpHeaders.CONTENT_ENCODING);
        return lines.isEmpty() ? null : lines.size() == 1 ? lines.get(0) : String.join(", ", lines);
    }

    private boolean declaredBodyTooLarge(HttpServerRequest request) {
        String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length == null) {
            return false;
        }
        try {
            return Long.parseLong(length.trim()) > shared.config().maxBodyBytes();
        } catch (NumberFormatException e) {
            return false; // Netty's codec refuses a malformed Content-Length itself
        }
    }

    /**
     * 413 at once, then the rest of the body is read and thrown away (up to {@link #MAX_DRAIN_BYTES})
     * before the connection is closed: closing while the client is still sending would reset the
     * connection and the client would never read the answer. Past the drain limit it is closed anyway.
     */
    private void refuseTooLarge(HttpServerRequest request) {
        HttpServerResponse response = request.response();
        long[] drained = {0};
        request.handler(chunk -> {
            drained[0] += chunk.length();
            if (drained[0] > MAX_DRAIN_BYTES) {
                request.connection().close();
            }
        });
        request.exceptionHandler(ignored -> { });
        request.endHandler(ignored -> request.connection().close());
        // Tells the client not to reuse the connection; Vert.x itself does not close on this header, so
        // the body can still be drained before the close above.
        response.putHeader(HttpHeaders.CONNECTION, "close");
        ErrorResponses.send(response, 413, "payload_too_large",
                "Request body too large: at most " + shared.config().maxBodyBytes() + " bytes");
        request.resume();
    }

    private void refuseUnauthenticated(HttpServerRequest request, String address) {
        shared.failures().record(address);
        ErrorResponses.unauthorized(request.response(), ApiKeyRefusal.detail(request.getHeader(HttpHeaders.AUTHORIZATION)));
    }

    private static String bearer(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        String token = authorization.substring(7).trim();
        return token.startsWith(ApiKeys.PREFIX) && token.length() <= 200 ? token : null;
    }
}
