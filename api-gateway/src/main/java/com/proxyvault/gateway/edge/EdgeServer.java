package com.proxyvault.gateway.edge;

import io.netty.channel.ChannelPipeline;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.vertx.http.runtime.VertxHttpRecorder;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import com.proxyvault.gateway.auth.ApiKeyAuthenticator;
import com.proxyvault.gateway.console.ConsolePages;
import com.proxyvault.gateway.auth.EdgeIdentity;
import com.proxyvault.gateway.auth.FailedAuthentications;
import com.proxyvault.gateway.auth.InternalTokenIssuer;
import com.proxyvault.gateway.forwarding.UpstreamInstances;
import com.proxyvault.gateway.forwarding.Upstreams;
import com.proxyvault.gateway.idempotency.IdempotencyStore;
import com.proxyvault.gateway.ratelimit.RateLimiter;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.impl.ConnectionBase;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The gateway's public port: a Vert.x HTTP server the gateway owns, so that what the HTTP layer refuses
 * (414 request line, 431 headers, 400 unparsable request; 400, 501 and 505 for framing and versions it cannot
 * read safely, {@link RequestFraming}) is answered with the JSON error body and a code, and a slow client cannot
 * hold a connection by trickling its headers ({@link HeaderReadDeadline}).
 * Quarkus' own HTTP listener is switched off ({@code quarkus.http.host-enabled=false}); requests this
 * server does not answer itself go to Quarkus' router ({@link VertxHttpRecorder#getRootHandler()}), in
 * the same process, with no extra hop. Decisions: docs/api.md, "Limits and timeouts".
 */
@Singleton
public class EdgeServer {

    private static final Logger LOG = Logger.getLogger(EdgeServer.class);

    private final Vertx vertx;
    private final EdgeConfig config;
    private final EdgeRequests.Shared shared;
    private volatile String deploymentId;
    private volatile int actualPort = -1;

    public EdgeServer(Vertx vertx, EdgeConfig config, ApiKeyAuthenticator authenticator, RateLimiter rateLimiter,
                      IdempotencyStore idempotency, FailedAuthentications failures, ClientAddresses clientAddresses,
                      InternalTokenIssuer tokens, Upstreams upstreams,
                      UpstreamInstances instances,
                      EdgeIdentity identity, OpenApiDocument openApi, ConsolePages console) {
        this.vertx = vertx;
        this.config = config;
        this.shared = new EdgeRequests.Shared(config, authenticator, rateLimiter, idempotency, failures, clientAddresses, tokens,
                upstreams,
                instances, identity, openApi, console);
    }

    /** The port the public server listens on (useful when configured as 0). */
    public int port() {
        return actualPort;
    }

    void start(@Observes StartupEvent started) throws Exception {
        int instances = config.instances() > 0 ? config.instances() : Runtime.getRuntime().availableProcessors();
        if (config.port() == 0) {
            instances = 1; // one random port, not one per instance
        }
        deploymentId = vertx.deployVerticle(PublicPortVerticle::new, new DeploymentOptions().setInstances(instances))
                .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        // Quarkus' own start line follows with "Listening on: ." (its listener is off, quarkus.http.host-enabled=false)
        // and only the management interface after it; it is written after this observer returns, from what Quarkus'
        // HTTP recorder leaves, so this line is the one that names the public port (docs/operations.md).
        LOG.infof("Public API listening on http://%s:%d (%d event loops; served by the gateway's edge server, not by"
                + " Quarkus' HTTP listener, which is off)", config.host(), actualPort, instances);
    }

    void stop(@Observes ShutdownEvent stopping) {
        if (deploymentId != null) {
            try {
                vertx.undeploy(deploymentId).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                LOG.debugf("Public port stopped with %s", e.toString());
            }
        }
    }

    /** One per event loop; Vert.x spreads the accepted connections over them. */
    private final class PublicPortVerticle extends AbstractVerticle {

        private HttpServer server;
        private HttpClient client;

        @Override
        public void start(Promise<Void> started) {
            HttpServerOptions options = new HttpServerOptions()
                    .setHost(config.host())
                    .setPort(config.port())
                    .setMaxInitialLineLength(config.maxRequestLineBytes())
                    .setMaxHeaderSize(config.maxHeaderBytes())
                    .setIdleTimeout((int) config.idleTimeout().toMillis())
                    .setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
                    .setTcpNoDelay(true)
                    // HTTP/1.1 only (TLS and HTTP/2 end at the ingress): the h2c upgrade handler would
                    // create the connection only once the first request is parsed, after the phase
                    // HeaderReadDeadline has to time.
                    .setHttp2ClearTextEnabled(false)
                    .setCompressionSupported(false);
            long headerTimeout = Math.max(1, config.headerReadTimeout().toMillis());
            // Created on this verticle's event loop: its pooled connections stay on this thread.
            client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true)
                    .setMaxPoolSize(64).setPipelining(false).setDecompressionSupported(false));
            EdgeRequests requests = new EdgeRequests(shared, client);
            server = vertx.createHttpServer(options)
                    .connectionHandler(connection -> guard(connection, headerTimeout, config.maxBodyBytes()))
                    .invalidRequestHandler(EdgeServer::refuseUnparsable)
                    .requestHandler(requests::handle);
            server.listen().onSuccess(listening -> {
                actualPort = listening.actualPort();
                started.complete();
            }).onFailure(started::fail);
        }

        @Override
        public void stop(Promise<Void> stopped) {
            server.close().eventually(v -> client.close()).onComplete(ignored -> stopped.complete());
        }
    }

    private static void guard(HttpConnection connection, long headerTimeoutMillis, int maxBodyBytes) {
        if (connection instanceof ConnectionBase base) {
            ChannelPipeline pipeline = base.channelHandlerContext().pipeline();
            List<String> names = pipeline.names();
            // The last named handler before Netty's tail is Vert.x' own connection handler.
            String vertxHandler = names.get(names.size() - 2);
            pipeline.addBefore(vertxHandler, "headerReadDeadline", new HeaderReadDeadline(headerTimeoutMillis));
            // Before the deadline: a request dropped after a refused one is not timed either.
            pipeline.addBefore("headerReadDeadline", "requestFraming", new RequestFraming(maxBodyBytes));
        }
    }

    /**
     * What Netty's HTTP codec could not read (414, 431 or 400) and what {@link RequestFraming} refused (its
     * {@link RequestFraming.Refusal} names status, code and detail: 400, 501, 505), with the JSON body, then close.
     */
    private static void refuseUnparsable(HttpServerRequest request) {
        Throwable cause = request.decoderResult().cause();
        int status;
        String code;
        String detail;
        if (cause instanceof RequestFraming.Refusal refusal) {
            status = refusal.status;
            code = refusal.code;
            detail = refusal.getMessage();
        } else if (cause instanceof TooLongHttpLineException) {
            status = 414;
            code = "uri_too_long";
            detail = "Request line too long";
        } else if (cause instanceof TooLongHttpHeaderException) {
            status = 431;
            code = "headers_too_large";
            detail = "Request headers too large";
        } else if (cause instanceof TooLongFrameException) {
            status = 431;
            code = "headers_too_large";
            detail = "Request headers too large";
        } else {
            status = 400;
            code = "bad_request";
            detail = "Malformed HTTP request";
        }
        request.response().putHeader("Connection", "close");
        if (status == 414) {
            // RFC 9110's phrase (section 15.5.15); Netty's default is RFC 2616's "Request-URI Too Long". The status
            // line says HTTP/1.0: the request line could not be read, so its version is unknown, and 1.0 is what any
            // client understands (RFC 9112 section 2.3; new-user review, stop 30, L2: decided, kept).
            request.response().setStatusMessage("URI Too Long");
        }
        ErrorResponses.send(request.response(), status, code, detail)
                .onComplete(ignored -> request.connection().close());
    }
}
