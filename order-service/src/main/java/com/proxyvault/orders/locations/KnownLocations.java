package com.proxyvault.orders.locations;

import com.proxyvault.contracts.events.EventTypes;
import com.proxyvault.contracts.events.LocationUpdated;
import com.proxyvault.platform.events.EventConsumer;
import com.proxyvault.platform.events.EventConsumers;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * The locations a purchase may name, learned from the fleet's {@code location.updated} events (F12; docs/events.md
 * "Locations"; table {@code known_locations}). order-service never asks the fleet while a reseller waits: creating
 * an order reads this table in the same statement that inserts the order ({@link #ACCEPTS}), so a fleet outage
 * changes nothing here, and the list is as fresh as the event path (~50 ms after the fleet's commit).
 *
 * <p>Rules, in {@link #ACCEPTS}: a location is accepted when it is known and active, or when no location is known
 * at all (a fresh install before the fleet's first events arrived: the fleet still judges it when it places the
 * order, and fails and refunds an unknown one, as before this table existed). A location whose last event says
 * {@code active: false} (removed from the fleet) is refused, and so is an order for it that is still unpaid
 * ({@link #retiredSql}: pay answers 409 before any money moves).
 */
@ApplicationScoped
public class KnownLocations {

    /**
     * SQL predicate on {@code $n} (a location id, or null for "anywhere"): true when a purchase may name it. Used
     * inside order creation's insert (so it costs no round trip) and by {@link #accepts(String)}.
     */
    public static String acceptsSql(String parameter) {
        return "(" + parameter + "::text is null or exists (select 1 from known_locations k where k.id = " + parameter
                + "::text and k.active) or not exists (select 1 from known_locations))";
    }

    /** SQL predicate on a column holding a location id: true when the fleet announced that it no longer serves it. */
    public static String retiredSql(String column) {
        return "exists (select 1 from known_locations k where k.id = " + column + " and not k.active)";
    }

    static final String ACCEPTS = "select " + acceptsSql("$1");

    /**
     * The newest state of a location: an event replaces the row only when its version is higher, so a redelivery
     * or a replay of an older state changes nothing (idempotent by itself: no inbox row needed).
     */
    private static final String UPSERT = """
            insert into known_locations (id, name, is_5g, active, version, updated_at)
            values ($1, $2, $3, $4, $5, $6)
            on conflict (id) do update set name = excluded.name, is_5g = excluded.is_5g, active = excluded.active,
                                           version = excluded.version, updated_at = excluded.updated_at
            where known_locations.version < excluded.version""";

    private final Pool pool;
    private final EventConsumer<LocationUpdated> updated;

    public KnownLocations(EventConsumers consumers, Pool pool) {
        this.pool = pool;
        this.updated = consumers.idempotentConsumer("order-locations", EventTypes.LOCATION_UPDATED, LocationUpdated.class,
                (event, json) -> pool.preparedQuery(UPSERT).execute(Tuple.tuple(java.util.Arrays.asList(
                        event.data().locationId(), event.data().name(), event.data().is5g(), event.data().active(),
                        event.data().version(), event.occurredAt()))));
    }

    /** Whether a purchase may name {@code locationId} now (the rule above); true for null (anywhere). */
    public Uni<Boolean> accepts(String locationId) {
        return pool.preparedQuery(ACCEPTS).execute(Tuple.tuple(java.util.Collections.singletonList(locationId)))
                .map(rows -> rows.iterator().next().getBoolean(0));
    }

    @Incoming("location-updated")
    public Uni<Void> onLocationUpdated(String json) {
        return updated.consume(json);
    }
}
