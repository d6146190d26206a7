package com.proxyvault.fleet.proxies;

import com.proxyvault.fleet.jobs.PhasedJobs;
import com.proxyvault.platform.time.ClockProducer;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Duration;

/**
 * Gives back the places that moves left booked past their lease (fleet migration V24, docs/fleet.md "Connect while
 * one runs"). A connect holds the place its proxy leaves until the move ends ({@link ProxyControlService#connect});
 * the replica running it ends the hold with the lease. A replica that dies mid-move cannot, so every replica, once
 * a second, clears the holds whose lease ({@code moving_until}) has run out: the move is over one way or the other
 * by then (the lease covers the commands' timeouts). One statement through {@code proxies_move_from_modem}, which
 * holds only rows with a hold: nothing to read when no move is in flight.
 */
@ApplicationScoped
public class MoveHolds {

    private static final Logger LOG = Logger.getLogger(MoveHolds.class);
    static final String END_LAPSED = """
            update proxies set move_from_modem_id = null, move_from_agent_id = null, move_from_port = null
            where move_from_modem_id is not null and (moving_until is null or moving_until <= $1)
            returning id""";

    private final Pool pool;
    private final Clock clock;
    private final PhasedJobs jobs;
    private final Duration interval;

    public MoveHolds(Pool pool, Clock clock, PhasedJobs jobs,
                     @ConfigProperty(name = "proxyvault.fleet.expiry-interval") Duration interval) {
        this.pool = pool;
        this.clock = clock;
        this.jobs = jobs;
        this.interval = interval;
    }

    void start(@Observes StartupEvent event) {
        jobs.every("Lapsed move holds", interval, PhasedJobs.Phase.EXPIRY, this::endLapsed);
    }

    /** Clears the holds whose move's lease ran out; the item is how many. */
    Uni<Integer> endLapsed() {
        return pool.preparedQuery(END_LAPSED).execute(Tuple.of(ClockProducer.utcNow(clock)))
                .map(rows -> {
                    rows.forEach(row -> LOG.warnf("Proxy %d: its move's lease ran out with the old place still held;"
                            + " that place is free again", row.getLong(0)));
                    return rows.rowCount();
                });
    }
}
