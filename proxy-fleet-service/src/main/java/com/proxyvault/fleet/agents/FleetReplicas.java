package com.proxyvault.fleet.agents;

import com.proxyvault.platform.time.ClockProducer;
import com.proxyvault.platform.vertx.VertxContexts;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import com.proxyvault.fleet.jobs.PhasedJobs;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.hibernate.reactive.mutiny.Mutiny;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.Optional;
import java.util.UUID;

/**
 * This replica in {@code fleet_replicas} (docs/fleet.md "Two replicas"): its row (id, internal URL) is
 * written at start, its lease renewed every {@code proxyvault.fleet.replica.renew-interval} and the row
 * deleted at shutdown. An agent's {@code replica_id} names the replica holding its stream;
 * {@link #holderOf} answers where to forward a command, and only while that replica's lease lives.
 */
@Singleton
public class FleetReplicas {

    private static final Logger LOG = Logger.getLogger(FleetReplicas.class);
    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(30);

    private final Mutiny.SessionFactory sessionFactory;
    private final io.vertx.mutiny.sqlclient.Pool pool;
    private final VertxContexts contexts;
    private final Clock clock;
    private final ReplicaConfig config;
    private final String id;
    private final String url;
    private final PhasedJobs jobs;

    public FleetReplicas(Mutiny.SessionFactory sessionFactory, io.vertx.mutiny.sqlclient.Pool pool, VertxContexts contexts, Clock clock, ReplicaConfig config,
                         PhasedJobs jobs) {
        this.sessionFactory = sessionFactory;
        this.pool = pool;
        this.jobs = jobs;
        this.contexts = contexts;
        this.clock = clock;
        this.config = config;
        this.id = config.id().filter(s -> !s.isBlank()).orElseGet(() -> "fleet-" + UUID.randomUUID().toString().substring(0, 8));
        this.url = withBracketedHost(config.url());
    }

    /**
     * {@code url} with an IPv6 literal host put in brackets, anything else unchanged. Kubernetes gives the address as
     * {@code http://$(POD_IP):8083} (downward API), which on an IPv6-primary cluster is {@code http://fd00::1a:8083},
     * not a URL the other replicas can dial; the manifest cannot tell the families apart, so it is done here.
     *
     * @param url {@code scheme://host:port[/path]} with the port present (the last colon before the path is the port's)
     * @return e.g. {@code http://[fd00::1a]:8083}; an IPv4 address, a name or an already bracketed literal as given
     */
    static String withBracketedHost(String url) {
        int start = url.indexOf("://");
        if (start < 0) {
            return url;
        }
        start += 3;
        int end = url.indexOf('/', start);
        String authority = end < 0 ? url.substring(start) : url.substring(start, end);
        int port = authority.lastIndexOf(':');
        if (authority.startsWith("[") || port < 0 || authority.indexOf(':') == port) {
            return url; // bracketed already, no port, or a single colon: an IPv4 address or a name
        }
        String bracketed = "[" + authority.substring(0, port) + "]" + authority.substring(port);
        return url.substring(0, start) + bracketed + (end < 0 ? "" : url.substring(end));
    }

    /** This replica's id, as agents' {@code replica_id} names it. */
    public String id() {
        return id;
    }

    /** Another live replica holding the agent's stream: its id and internal base URL. */
    public record Holder(String replicaId, String url) {
    }

    void start(@Observes StartupEvent event) {
        // A previous process with this id held streams that ended with it: they are nobody's now.
        contexts.onNewContext(() -> sessionFactory.withTransaction(session -> session
                        .createNativeQuery("update agents set replica_id = null where replica_id = :me")
                        .setParameter("me", id).executeUpdate()
                        .chain(() -> renew(session))))
                .await().atMost(STARTUP_TIMEOUT);
        LOG.infof("Fleet replica %s, reachable by the other replicas at %s", id, url);
        jobs.every("Renewing the replica's lease", config.renewInterval(), PhasedJobs.Phase.LEASE, this::renewLease);
    }

    void stop(@Observes ShutdownEvent event) {
        try {
            contexts.onNewContext(() -> sessionFactory.withTransaction(session -> session
                            .createNativeQuery("delete from fleet_replicas where id = :me").setParameter("me", id).executeUpdate()))
                    .await().atMost(Duration.ofSeconds(3));
        } catch (RuntimeException e) {
            LOG.warnf("Could not remove replica %s at shutdown (its lease runs out instead): %s", id, e.getMessage());
        }
    }

    Uni<Void> renewLease() {
        return sessionFactory.withTransaction(this::renew).replaceWithVoid()
                .onFailure().invoke(e -> LOG.warnf("Renewing the lease of replica %s failed: %s", id, e.getMessage()))
                .onFailure().recoverWithNull();
    }

    private Uni<Integer> renew(Mutiny.Session session) {
        return session.createNativeQuery("""
                        insert into fleet_replicas (id, url, lease_until) values (:id, :url, :until)
                        on conflict (id) do update set url = excluded.url, lease_until = excluded.lease_until""")
                .setParameter("id", id)
                .setParameter("url", url)
                .setParameter("until", now().plus(config.lease()))
                .executeUpdate();
    }

    /**
     * The other replica whose live lease covers the agent's stream, if any. Empty when the agent is on no
     * replica, on this one (a stream that ended here a moment ago), or on one whose lease ran out.
     */
    public Uni<Optional<Holder>> holderOf(String agentId) {
        // On the Pool, not a Hibernate Reactive session: withSession reuses a session open in the caller's context,
        // and a command sent from inside a transaction (a reverted connect's kept state, ProxyControlService) would run
        // this read on that transaction's session while it commits (static review, stop 31, finding 1b).
        return pool.preparedQuery("""
                        select r.id, r.url from agents a join fleet_replicas r on r.id = a.replica_id
                        where a.id = $1 and r.id <> $2 and r.lease_until > $3""")
                .execute(io.vertx.mutiny.sqlclient.Tuple.of(agentId, id, now()))
                .map(rows -> {
                    var it = rows.iterator();
                    if (!it.hasNext()) {
                        return Optional.<Holder>empty();
                    }
                    var row = it.next();
                    return Optional.of(new Holder(row.getString(0), row.getString(1)));
                });
    }

    private LocalDateTime now() {
        return ClockProducer.utcNow(clock);
    }
}
