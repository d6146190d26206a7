package com.proxyvault.platform.signals;

import io.quarkus.runtime.ShutdownEvent;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.SslMode;
import io.vertx.pgclient.pubsub.PgSubscriber;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Wakes work up the moment a row it waits for commits: PostgreSQL {@code LISTEN} on one dedicated
 * connection per service. A trigger (or the writer) calls {@code pg_notify('<channel>', '')}; PostgreSQL
 * delivers notifications only when the writing transaction commits, and to every listening replica,
 * so "a row is ready" reaches whoever can work on it within a millisecond or two, with no poll.
 *
 * <p>Notifications are a hint, not a queue: one sent while the connection is down is lost. Every user
 * therefore keeps a periodic sweep as the safety net, and the subscriber reconnects by itself (and wakes
 * every channel after a reconnect, to catch up at once).
 */
@Singleton
public class CommitSignals {

    private static final Logger LOG = Logger.getLogger(CommitSignals.class);

    private final Vertx vertx;
    private final String url;
    private final Optional<String> user;
    private final Optional<String> password;
    private final Optional<String> sslMode;
    private final Optional<Boolean> trustAll;
    private final Map<String, Runnable> handlers = new ConcurrentHashMap<>();
    private volatile PgSubscriber subscriber;

    public CommitSignals(Vertx vertx,
                         @ConfigProperty(name = "quarkus.datasource.reactive.url") String url,
                         @ConfigProperty(name = "quarkus.datasource.username") Optional<String> user,
                         @ConfigProperty(name = "quarkus.datasource.password") Optional<String> password,
                         @ConfigProperty(name = "quarkus.datasource.reactive.postgresql.ssl-mode") Optional<String> sslMode,
                         @ConfigProperty(name = "quarkus.datasource.reactive.trust-all") Optional<Boolean> trustAll) {
        this.vertx = vertx;
        this.sslMode = sslMode;
        this.trustAll = trustAll;
        this.url = url;
        this.user = user;
        this.password = password;
    }

    /**
     * Runs {@code onSignal} (on an event-loop thread: it must not block) after every commit that notified
     * {@code channel}, and once right after each (re)connect. One handler per channel.
     */
    public synchronized void listen(String channel, Runnable onSignal) {
        handlers.put(channel, onSignal);
        if (subscriber == null) {
            connect();
        } else {
            subscribe(channel, onSignal); // LISTENs now, or when the pending connect completes
        }
    }

    private void connect() {
        String uri = url.startsWith("vertx-reactive:") ? url.substring("vertx-reactive:".length()) : url;
        PgConnectOptions options = PgConnectOptions.fromUri(uri);
        user.ifPresent(options::setUser);
        password.ifPresent(options::setPassword);
        // The same TLS the service's reactive datasource uses (fromUri reads only the URL).
        sslMode.ifPresent(mode -> options.setSslMode(SslMode.of(mode)));
        trustAll.ifPresent(options::setTrustAll);
        PgSubscriber created = PgSubscriber.subscriber(vertx, options)
                // forever, every second, once it has been up: the sweeps cover the gap meanwhile
                .reconnectPolicy(retries -> 1000L);
        created.closeHandler(ignored -> LOG.warn("LISTEN connection lost; reconnecting (sweeps cover the gap)"));
        subscriber = created;
        handlers.forEach(this::subscribe);
        created.connect().onComplete(result -> {
            if (result.succeeded()) {
                LOG.debugf("Listening for %s", handlers.keySet());
                return;
            }
            LOG.warnf("LISTEN connection failed (%s); retrying in 1 s, sweeps cover the gap", result.cause().toString());
            // The reconnect policy only covers a connection that was up once, and a PgSubscriber whose first
            // connect failed cannot connect again: start over with a new one.
            created.close();
            vertx.setTimer(1000, id -> {
                synchronized (this) {
                    if (subscriber == created) {
                        connect();
                    }
                }
            });
        });
    }

    private void subscribe(String channel, Runnable onSignal) {
        subscriber.channel(channel)
                .subscribeHandler(ignored -> onSignal.run()) // after (re)subscribing: catch up on what was missed
                .handler(payload -> onSignal.run());
    }

    void stop(@Observes ShutdownEvent event) {
        PgSubscriber current;
        synchronized (this) {
            current = subscriber;
            subscriber = null;
        }
        if (current != null) {
            current.close();
        }
    }
}
