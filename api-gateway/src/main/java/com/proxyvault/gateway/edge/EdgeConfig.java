package com.proxyvault.gateway.edge;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The public port's connection policy (docs/api.md, "Limits and timeouts"). Every limit answers with
 * the JSON error body: a request line over {@link #maxRequestLineBytes()} is 414, headers over
 * {@link #maxHeaderBytes()} are 431, a body over {@link #maxBodyBytes()} is 413.
 */
@ConfigMapping(prefix = "proxyvault.gateway.edge")
public interface EdgeConfig {

    /** Public port (8080; 0 picks a free one, as the tests do). */
    int port();

    String host();

    /** Longest request line ({@code GET /v1/... HTTP/1.1}), bytes. */
    @WithDefault("8192")
    int maxRequestLineBytes();

    /** Largest header block, bytes. */
    @WithDefault("16384")
    int maxHeaderBytes();

    /** Largest request body, bytes: every public body is a small JSON object. */
    @WithDefault("65536")
    int maxBodyBytes();

    /**
     * How long a client may take from connecting (or from the end of the previous response on a
     * kept-alive connection) until its request headers are complete; then the connection is closed.
     * Idle timeouts alone do not stop a client that trickles one header byte at a time (slowloris).
     */
    @WithDefault("10s")
    Duration headerReadTimeout();

    /** A connection with no bytes either way for this long is closed. */
    @WithDefault("60s")
    Duration idleTimeout();

    /**
     * Peers whose {@code X-Forwarded-For} names the client ({@link ClientAddresses}): CIDR blocks or single
     * addresses, e.g. the pod range of the Ingress controller; none by default (the TCP peer is the client).
     */
    Optional<List<String>> trustedProxies();

    /** Event loops serving the port; 0 = one per core. */
    @WithDefault("0")
    int instances();
}
