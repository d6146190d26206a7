package com.proxyvault.platform.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.config.MeterFilterReply;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import jakarta.interceptor.Interceptor;
import org.jboss.logging.Logger;

import java.util.Set;

/**
 * Removes the two per-connection gauges of the reactive PostgreSQL client, {@code postgresql.queue.size} and
 * {@code postgresql.current}, from every service's metrics (docs/operations.md, "Standard metrics").
 *
 * <p>Why they are wrong, not just noisy: Vert.x asks the metrics SPI for new client metrics for <em>every</em>
 * PostgreSQL connection it opens ({@code PgConnectionFactory}), and Quarkus' Micrometer binder (3.33,
 * {@code VertxClientMetrics}) answers each with a fresh object that registers these gauges under the same id
 * ({@code clientName=<default>, clientType=sql}). Micrometer keeps the first registration and ignores the
 * others, logging {@code WARN This Gauge has been already registered (postgresql.queue.size)} at every start
 * (upstream: quarkusio/quarkus#47504). So each gauge reads the one connection that happened to open first —
 * a pool of 20 reported the queue of one connection, and after that connection was replaced, a dead one's.
 * The timers and counters of the same binder ({@code postgresql.processing}, {@code postgresql.queue.delay},
 * {@code postgresql.completed}, {@code postgresql.reset}) are shared by id and add up every connection, so
 * they stay. The pool's own queue is measured correctly, once per pool, by the Vert.x pool metrics
 * ({@code sql.pool.*}, tagged with the pool's name).
 *
 * <p>Denied before registration, so nothing is registered twice and nothing is logged; no log category is
 * silenced, so any other duplicate registration still shows. Applied by Quarkus to the global registry
 * (every {@code MeterFilter} bean is), which is where the Vert.x binder registers. One connection comes too
 * early for any filter: Hibernate's database version check at start opens the pool's first connection before
 * Quarkus configures the registries, so its gauges are already in; {@link #dropEarlyRegistrations} removes
 * them first thing at start (before any other start-up work opens a second connection), and from then on the
 * filter refuses every new one. Disabling the version check instead would trade a safety check for a metric.
 */
@Singleton
public class SqlClientMeters {

    private static final Logger LOG = Logger.getLogger(SqlClientMeters.class);

    /** The gauges one connection's metrics object registers for the {@code postgresql|<datasource>} client. */
    static final Set<String> PER_CONNECTION_GAUGES = Set.of("postgresql.queue.size", "postgresql.current");

    /** Removes what was registered before the filter existed; runs before every other start-up observer. */
    void dropEarlyRegistrations(@Observes @Priority(Interceptor.Priority.PLATFORM_BEFORE) StartupEvent started) {
        int removed = 0;
        for (String name : PER_CONNECTION_GAUGES) {
            for (Gauge gauge : Metrics.globalRegistry.find(name).gauges()) {
                Metrics.globalRegistry.remove(gauge);
                removed++;
            }
        }
        LOG.debugf("Removed %d per-connection PostgreSQL client gauges registered before the meter filters", removed);
    }

    @Produces
    @Singleton
    public MeterFilter withoutPerConnectionGauges() {
        return new MeterFilter() {
            @Override
            public MeterFilterReply accept(Meter.Id id) {
                return id.getType() == Meter.Type.GAUGE && PER_CONNECTION_GAUGES.contains(id.getName())
                        ? MeterFilterReply.DENY : MeterFilterReply.NEUTRAL;
            }
        };
    }
}
