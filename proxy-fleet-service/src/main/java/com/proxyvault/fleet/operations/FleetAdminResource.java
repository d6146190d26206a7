package com.proxyvault.fleet.operations;

import com.proxyvault.contracts.auth.InternalJwt;
import com.proxyvault.fleet.provisioning.ModemAllocator;
import com.proxyvault.platform.http.ApiException;
import com.proxyvault.platform.input.Paging;
import com.proxyvault.platform.input.Texts;
import com.proxyvault.platform.time.ClockProducer;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.quarkus.hibernate.reactive.panache.common.WithTransaction;
import io.smallrye.mutiny.Uni;
import org.hibernate.reactive.mutiny.Mutiny;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import org.jboss.resteasy.reactive.server.Cancellable;

import java.time.Clock;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The operator's view of the fleet (issue 8, item 8), behind the gateway's {@code /v1/admin/agents},
 * {@code /v1/admin/modems} and {@code /v1/admin/locations} (operator internal token). The agents and modems lists
 * are paged in id order by {@link Paging} ({@code limit} 1..100, default 50; {@code offset}; docs/api.md "Lists")
 * with the {@code total} of the filter; each answer costs its page, not the fleet (docs/fleet.md "Operator API":
 * 126 s unpaged at 32,006 modems). The locations' load is one grouped pass over the modems, not paged:
 * <ul>
 *   <li>{@code GET /internal/agents[?connected=true|false]} → {@code {"agents": [{"id", "public_host",
 *       "connected", "online", "last_seen_at", "agent_version", "port_range_start", "port_range_end", "modems",
 *       "proxies"}], "total"}}; {@code connected}: its stream is held by a replica whose lease lives
 *       ({@link ModemAllocator#STREAM_HELD_BY_LIVE_REPLICA}: an agent of a killed replica reads false within the
 *       lease, 15 s), and {@code ?connected=} filters on exactly that; {@code online}: connected and heard from
 *       within {@link ModemAllocator#liveSince} (the heartbeat timeout);
 *       {@code proxies}: its provisioning, active and offline ones;</li>
 *   <li>{@code GET /internal/modems[?agent_id=&location_id=]} (exact match; an unknown one is an empty page) →
 *       {@code {"modems": [{"id", "agent_id", "modem_id", "location_id", "is_5g", "online", "draining",
 *       "exit_ip", "capacity", "proxy_ids", "last_heartbeat_at"}], "total"}}; {@code online}: the modem is up by
 *       its agent's last report and that agent is online; {@code proxy_ids}: its provisioning, active and
 *       offline proxies, ascending;</li>
 *   <li>{@code POST /internal/agents/{agentId}/modems/{modemId}/drain} (and {@code /undrain}) → the modem: a
 *       draining modem keeps its proxies but gets no new one (placement, connect); 404 unknown modem.</li>
 *   <li>{@code GET /internal/locations} → {@code {"locations": [{"id", "name", "is_5g", "modems", "online_modems",
 *       "draining_modems", "capacity", "live_proxies", "free_slots"}]}}: every location, by id, with the whole
 *       fleet's figures (see {@link #locations()}).</li>
 * </ul>
 * A bad {@code limit}, {@code offset} or filter is 422 {@code validation_failed} naming the parameter.
 */
@Path("/internal")
@Produces(MediaType.APPLICATION_JSON)
@RolesAllowed(InternalJwt.OPERATOR_ROLE)
@Cancellable(false) // a write the caller started finishes if the caller hangs up (docs/api.md "Hang-ups")
public class FleetAdminResource {

    /** Agent ids as configured with their tokens and modem ids as agents announce them (the gateway's bound). */
    static final int MAX_AGENT_ID_LENGTH = 100;
    /** Location ids as {@code GET .../locations} lists them (ProxyResource's bound). */
    static final int MAX_LOCATION_ID_LENGTH = 32;
    /**
     * The statuses whose proxies a modem holds as the operator sees it: live ones and offline ones (their agent is
     * silent; they keep modem and port). {@code proxies_held_by_modem} (V19) is partial on exactly these.
     */
    private static final String HELD = "('provisioning', 'active', 'offline')";
    /** Modems an operator has not removed (V25): the only ones any list, figure or action sees. */
    private static final String NOT_REMOVED = "removed_at is null";
    /** 409 code: the modem's agent is connected and announces it ({@link #remove}). */
    public static final String MODEM_ANNOUNCED = "modem_announced";
    /** 409 code: the modem still holds proxies ({@link #remove}). */
    public static final String MODEM_IN_USE = "modem_in_use";
    /** 409 code: a location with that id exists ({@link #addLocation}). */
    public static final String LOCATION_EXISTS = "location_exists";
    /** 409 code: modems or proxies name the location ({@link #removeLocation}). */
    public static final String LOCATION_IN_USE = "location_in_use";
    /** Location ids as resellers send them (order-service's rule, and the table's check since V15). */
    private static final java.util.regex.Pattern LOCATION_ID = java.util.regex.Pattern.compile("[A-Z0-9]{2,32}");
    static final int MAX_LOCATION_NAME_LENGTH = 100;

    private final Clock clock;
    private final ModemAllocator allocator;

    public FleetAdminResource(Clock clock, ModemAllocator allocator) {
        this.clock = clock;
        this.allocator = allocator;
    }

    public record AgentView(String id, String publicHost, boolean connected, boolean online, LocalDateTime lastSeenAt,
                            String agentVersion, int portRangeStart, int portRangeEnd, long modems, long proxies) {
    }

    public record ModemView(String id, String agentId, String modemId, String locationId,
                            @com.fasterxml.jackson.annotation.JsonProperty("is_5g") boolean is5g,
                            boolean online, boolean draining, String exitIp, int capacity, List<Long> proxyIds,
                            LocalDateTime lastHeartbeatAt) {
    }

    public record AgentList(List<AgentView> agents, long total) {
    }

    /** One location's load over the whole fleet; every figure a count of modems or of proxy slots. */
    public record LocationLoad(String id, String name, @com.fasterxml.jackson.annotation.JsonProperty("is_5g") boolean is5g,
                               long modems, long onlineModems, long drainingModems, long capacity, long liveProxies,
                               long freeSlots) {
    }

    public record LocationList(List<LocationLoad> locations) {
    }

    public record ModemList(List<ModemView> modems, long total) {
    }

    /**
     * A {@code where} clause of the filters given (none: empty) and its parameters. The keys are column names
     * written in this class, never request text: values travel only as bound parameters.
     */
    private record Where(String sql, Map<String, Object> parameters) {

        static Where of(Map<String, Object> filters) {
            List<String> terms = new ArrayList<>();
            Map<String, Object> parameters = new LinkedHashMap<>();
            filters.forEach((column, value) -> {
                if (value != null) {
                    // Only the filters given are in the SQL: a "(:x is null or column = :x)" term can use no index
                    // in a generic plan, which PostgreSQL may pick for a prepared statement after five runs.
                    terms.add(column + " = :" + column);
                    parameters.put(column, value);
                }
            });
            return new Where(terms.isEmpty() ? "" : "where " + String.join(" and ", terms), parameters);
        }

        /** This clause and {@code term} (SQL written in this class). */
        Where and(String term) {
            return new Where(sql.isEmpty() ? "where " + term : sql + " and " + term, parameters);
        }

        <T> Mutiny.SelectionQuery<T> bind(Mutiny.SelectionQuery<T> query) {
            parameters.forEach(query::setParameter);
            return query;
        }
    }

    @GET
    @Path("/agents")
    @WithSession
    public Uni<AgentList> agents(@QueryParam("connected") String connected,
                                 @QueryParam("limit") String limit,
                                 @QueryParam("offset") String offset) {
        String state = Texts.oneOf(emptyAsAbsent(connected), "connected", List.of("true", "false"), false);
        Paging page = Paging.of(limit, offset);
        LocalDateTime now = ClockProducer.utcNow(clock);
        // "connected" is the stream's holder being alive, not the column alone, which only a stream's end clears (a
        // killed replica's agents showed connected for minutes, and ?connected=false hid them: new-user review)
        String held = ModemAllocator.STREAM_HELD_BY_LIVE_REPLICA;
        Where where = state == null ? Where.of(Map.of())
                : new Where("where " + (Boolean.parseBoolean(state) ? held : "not " + held), Map.of("now", now));
        LocalDateTime liveSince = allocator.liveSince(now);
        // The counts run for the page's agents only, each through an index: the proxies they hold through
        // proxies_live_port, which since fleet V22 holds provisioning, active and offline proxies by agent.
        return Panache.getSession().chain(session -> where.bind(session.createNativeQuery("""
                        select a.id, a.public_host, %s, a.last_seen_at, a.agent_version, a.port_range_start,
                               a.port_range_end,
                               (select count(*) from modems m where m.agent_id = a.id and m.removed_at is null),
                               (select count(*) from proxies p where p.agent_id = a.id
                                  and p.status in ('provisioning', 'active', 'offline'))
                        from (select * from agents a %s order by id limit :limit offset :offset) a
                        order by a.id""".formatted(held, where.sql()), Object[].class))
                        .setParameter("limit", page.limit()).setParameter("offset", page.offset())
                        .setParameter("now", now)
                        .getResultList()
                        .chain(rows -> where.bind(session.createNativeQuery(
                                        "select count(*) from agents a " + where.sql(), Long.class))
                                .getSingleResult()
                                .map(total -> new AgentList(rows.stream().map(row -> agent(row, liveSince)).toList(),
                                        total))));
    }

    @GET
    @Path("/modems")
    @WithSession
    public Uni<ModemList> modems(@QueryParam("agent_id") String agentId,
                                 @QueryParam("location_id") String locationId,
                                 @QueryParam("limit") String limit,
                                 @QueryParam("offset") String offset) {
        Map<String, Object> filters = new LinkedHashMap<>();
        filters.put("agent_id", Texts.optional(emptyAsAbsent(agentId), "agent_id", MAX_AGENT_ID_LENGTH));
        filters.put("location_id", Texts.optional(emptyAsAbsent(locationId), "location_id", MAX_LOCATION_ID_LENGTH));
        Paging page = Paging.of(limit, offset);
        Where where = Where.of(filters).and(NOT_REMOVED);
        return readModems(where, page).chain(modems -> Panache.getSession().chain(session -> where.bind(session
                                .createNativeQuery("select count(*) from modems " + where.sql(), Long.class))
                        .getSingleResult())
                .map(total -> new ModemList(modems, total)));
    }

    /**
     * The page of modems {@code where} selects, in id order. The page is chosen first and only its modems look
     * up their agent and proxies (through {@code proxies_held_by_modem}, V19), so the cost is the page's.
     */
    private Uni<List<ModemView>> readModems(Where where, Paging page) {
        return Panache.getSession().chain(session -> where.bind(session.createNativeQuery("""
                        select m.id, m.agent_id, m.modem_id, m.location_id, m.is_5g,
                               -- a modem is only as online as its agent: the flag is the agent's last report
                               m.online and coalesce(a.last_seen_at >= :liveSince, false), m.draining, m.exit_ip,
                               m.capacity, a.last_seen_at,
                               (select string_agg(cast(p.id as text), ',' order by p.id) from proxies p
                                where p.modem_id = m.id and p.status in %s)
                        from (select * from modems %s order by id limit :limit offset :offset) m
                        join agents a on a.id = m.agent_id
                        order by m.id""".formatted(HELD, where.sql()), Object[].class))
                        .setParameter("limit", page.limit()).setParameter("offset", page.offset())
                        .setParameter("liveSince", allocator.liveSince(ClockProducer.utcNow(clock)))
                        .getResultList())
                .map(rows -> rows.stream().map(FleetAdminResource::modem).toList());
    }

    /**
     * Every row of {@code locations}, by id, with its load over the whole fleet (a location without modems: all
     * zeros). The figures are the fleet's own definitions:
     * <ul>
     *   <li>{@code modems}: its modems, whatever their state; {@code draining_modems}: those draining;</li>
     *   <li>{@code online_modems}: online as {@link #modems} shows it: up by its agent's last report and that agent
     *       heard from within {@link ModemAllocator#liveSince} (the heartbeat timeout) (draining ones included);</li>
     *   <li>{@code capacity}: the sum of its modems' capacities (proxies at once), all modems;</li>
     *   <li>{@code live_proxies}: the sum of {@code modems.live_proxies}, its provisioning, active and offline
     *       proxies (each holds its slot, fleet migration V22) as V16's triggers count them for placement
     *       (docs/fleet.md "Placement cost"), the same proxies as the modems list's {@code proxy_ids};</li>
     *   <li>{@code free_slots}: what placement could still use, the sum of {@code max(capacity - live_proxies, 0)}
     *       over its modems that are online (as above) and not draining. Placement asks two things more, which
     *       this leaves out: an open stream ({@code agents.connected}; a closed one counts here until its agent's
     *       last report is older than {@link ModemAllocator#liveSince} (the heartbeat timeout)) and a free port on the agent
     *       (the reseller's {@code GET /proxies/{id}/locations} counts that, {@link ModemAllocator#availability}).</li>
     * </ul>
     * Not paged: a location is a row an operator adds, a handful. One statement groups the modems (joined with
     * their agents) by location, so the cost is one pass over {@code modems}, whatever the page of the modems
     * list: docs/fleet.md "Operator API" has it measured at ~30,000 modems.
     */
    @GET
    @Path("/locations")
    @WithSession
    public Uni<LocationList> locations() {
        return readLocations().map(LocationList::new);
    }

    /** The locations with their load, as {@link #locations()} answers them, in the caller's session. */
    private Uni<List<LocationLoad>> readLocations() {
        // A sequential pass over modems (one row each, hashed by location) beats any index here: every modem is
        // read once. The modems are grouped before the join, so a location without modems is one row of nulls.
        return Panache.getSession().chain(session -> session.createNativeQuery("""
                        select l.id, l.name, l.is_5g, coalesce(f.modems, 0), coalesce(f.online, 0),
                               coalesce(f.draining, 0), coalesce(f.capacity, 0), coalesce(f.live_proxies, 0),
                               coalesce(f.free_slots, 0)
                        from locations l
                        left join (select m.location_id, count(*) as modems,
                                          count(*) filter (where m.online and a.last_seen_at >= :liveSince) as online,
                                          count(*) filter (where m.draining) as draining,
                                          sum(m.capacity) as capacity, sum(m.live_proxies) as live_proxies,
                                          sum(greatest(m.capacity - m.live_proxies, 0)) filter (
                                              where m.online and a.last_seen_at >= :liveSince and not m.draining)
                                              as free_slots
                                   from modems m join agents a on a.id = m.agent_id
                                   where m.removed_at is null
                                   group by m.location_id) f on f.location_id = l.id
                        order by l.id""", Object[].class)
                        .setParameter("liveSince", allocator.liveSince(ClockProducer.utcNow(clock)))
                        .getResultList())
                .map(rows -> rows.stream().map(FleetAdminResource::location).toList());
    }

    /** {@code ?agent_id=} reaches us as "" (or null, by client): both mean "not given", as for {@link Paging}. */
    private static String emptyAsAbsent(String value) {
        return value == null || value.isEmpty() ? null : value;
    }

    @POST
    @Path("/agents/{agentId}/modems/{modemId}/drain")
    @WithTransaction
    public Uni<ModemView> drain(@PathParam("agentId") String agentId, @PathParam("modemId") String modemId) {
        return setDraining(agentId, modemId, true);
    }

    @POST
    @Path("/agents/{agentId}/modems/{modemId}/undrain")
    @WithTransaction
    public Uni<ModemView> undrain(@PathParam("agentId") String agentId, @PathParam("modemId") String modemId) {
        return setDraining(agentId, modemId, false);
    }

    private Uni<ModemView> setDraining(String agentId, String modemId, boolean draining) {
        return setModemSetting(agentId, modemId, "draining", draining);
    }

    /**
     * Sets an operator's setting of a modem that is not removed ({@code column}: {@code draining} or {@code capacity},
     * never input) and answers the modem as {@link #modems} lists it; 404 unknown or removed modem.
     */
    private Uni<ModemView> setModemSetting(String agentId, String modemId, String column, Object value) {
        String id = Texts.required(agentId, "agent_id", MAX_AGENT_ID_LENGTH) + "/" + Texts.required(modemId, "modem_id", 100);
        return Panache.getSession().chain(session -> session.createNativeQuery(
                                "update modems set " + column + " = :value, updated_at = :now where id = :id and " + NOT_REMOVED)
                        .setParameter("value", value)
                        .setParameter("now", ClockProducer.utcNow(clock))
                        .setParameter("id", id)
                        .executeUpdate()
                        .chain(updated -> {
                            if (updated == 0) {
                                return Uni.createFrom().failure(ApiException.notFound("Modem not found"));
                            }
                            return readModems(Where.of(Map.of("id", id)), new Paging(1, 0)).map(list -> list.get(0));
                        }));
    }

    /** {@code {"capacity": N}}: how many proxies the modem may serve at once. */
    public record ModemChange(Integer capacity) {
    }

    /** The most proxies one modem may be given at once ({@link #changeModem}); one modem's bandwidth is shared by all. */
    static final int MAX_MODEM_CAPACITY = 100;

    /**
     * Sets a modem's capacity, how many proxies it serves at once (issue 8 item 4, "capacity per modem configurable
     * (default 1: dedicated)"; docs/fleet.md "Operator API"): {@code {"capacity": 1..}}{@value #MAX_MODEM_CAPACITY}
     * → 200 with the modem as {@link #modems} lists it. A capacity below the proxies it holds takes none of them away:
     * it gets no new one until they are fewer. 422 {@code validation_failed} for a missing or out-of-range capacity;
     * 404 unknown (or removed) modem. Under the modem's row lock, which placement takes too, so no placement reads the
     * old capacity after this answered. Before, capacity was a column only SQL could change (the local stack's six
     * modems filled after six purchases: new-user review, stop 30, M2).
     */
    @jakarta.ws.rs.PATCH
    @Path("/agents/{agentId}/modems/{modemId}")
    @Consumes(MediaType.APPLICATION_JSON)
    @WithTransaction
    public Uni<ModemView> changeModem(@PathParam("agentId") String agentId, @PathParam("modemId") String modemId,
                                      ModemChange change) {
        if (change == null || change.capacity() == null) {
            throw ApiException.unprocessable("Give capacity (1.." + MAX_MODEM_CAPACITY + ": proxies the modem serves at once)");
        }
        if (change.capacity() < 1 || change.capacity() > MAX_MODEM_CAPACITY) {
            throw ApiException.unprocessable("capacity must be between 1 and " + MAX_MODEM_CAPACITY
                    + " (drain the modem to give it no new proxies)");
        }
        return setModemSetting(agentId, modemId, "capacity", change.capacity());
    }

    /**
     * Removes a modem from the fleet's lists and figures (fleet migration V25, docs/fleet.md "Removing a modem and
     * adding a location"): for a modem taken out of service, which its agent no longer announces. 204, also for one
     * already removed. 404 unknown modem; 409 {@value #MODEM_ANNOUNCED} while its agent is connected and announces
     * it (it would be back at the agent's next Hello: take it out of the agent's configuration first, or drain it);
     * 409 {@value #MODEM_IN_USE} while it holds proxies (provisioning, active or offline ones, or a move's old place:
     * {@code live_proxies}), naming them. The row stays (proxies refer to it), marked; the agent announcing the modem
     * again brings it back. Under the modem's row lock, which placement takes too.
     */
    @DELETE
    @Path("/agents/{agentId}/modems/{modemId}")
    @WithTransaction
    public Uni<Void> remove(@PathParam("agentId") String agentId, @PathParam("modemId") String modemId) {
        String id = Texts.required(agentId, "agent_id", MAX_AGENT_ID_LENGTH) + "/" + Texts.required(modemId, "modem_id", 100);
        LocalDateTime now = ClockProducer.utcNow(clock);
        return Panache.getSession().chain(session -> session.createNativeQuery("""
                                select m.removed_at is not null, m.online and %s, m.live_proxies,
                                       (select string_agg(cast(p.id as text), ', ' order by p.id) from proxies p
                                        where (p.modem_id = m.id and p.status in %s) or p.move_from_modem_id = m.id)
                                from modems m join agents a on a.id = m.agent_id
                                where m.id = :id
                                for update of m""".formatted(ModemAllocator.STREAM_HELD_BY_LIVE_REPLICA, HELD), Object[].class)
                        .setParameter("id", id).setParameter("now", now)
                        .getResultList()
                        .chain(rows -> {
                            if (rows.isEmpty()) {
                                return Uni.createFrom().failure(ApiException.notFound("Modem not found"));
                            }
                            Object[] row = rows.get(0);
                            if ((Boolean) row[0]) {
                                return Uni.createFrom().voidItem();
                            }
                            if ((Boolean) row[1]) {
                                return Uni.createFrom().failure(ApiException.conflict(MODEM_ANNOUNCED, "Agent " + agentId
                                        + " is connected and announces modem " + modemId + "; take it out of the agent's"
                                        + " configuration and restart the agent first (or drain it to stop new proxies)"));
                            }
                            if (((Number) row[2]).longValue() > 0 || row[3] != null) {
                                return Uni.createFrom().failure(ApiException.conflict(MODEM_IN_USE, "Modem " + modemId
                                        + " still holds proxies " + (row[3] == null ? "" : row[3]) + "; remove it once they"
                                        + " have ended, or their resellers have moved (connect) or disconnected them"));
                            }
                            return session.createNativeQuery(
                                            "update modems set removed_at = :now, online = false, updated_at = :now where id = :id")
                                    .setParameter("now", now).setParameter("id", id)
                                    .executeUpdate().replaceWithVoid();
                        }));
    }

    /** {@code {"id", "name", "is_5g"}}: a location to add. */
    public record LocationRequest(String id, String name, @com.fasterxml.jackson.annotation.JsonProperty("is_5g") Boolean is5g) {
    }

    /** {@code {"name"?, "is_5g"?}}: what to change of a location (at least one). */
    public record LocationChange(String name, @com.fasterxml.jackson.annotation.JsonProperty("is_5g") Boolean is5g) {
    }

    /**
     * Adds a location (docs/fleet.md "Removing a modem and adding a location"): 201 with it as {@link #locations()}
     * lists it (all figures 0 until an agent announces modems there). {@code id}: 2..32 of A-Z and 0-9 (what a
     * reseller can send as {@code location_id}, fleet V15's check); {@code name}: 1..100 characters, required;
     * {@code is_5g}: optional, false (null reads as absent: a record cannot tell them apart). 422 {@code validation_failed} naming the field; 409 {@value #LOCATION_EXISTS}.
     * Its {@code location.updated} event goes out from the same transaction (V15's trigger), so order-service
     * accepts purchases naming it once it has read the event. An agent's modems announced there before were
     * ignored (a WARN): they are registered at its next Hello.
     */
    @POST
    @Path("/locations")
    @Consumes(MediaType.APPLICATION_JSON)
    @WithTransaction
    public Uni<org.jboss.resteasy.reactive.RestResponse<LocationLoad>> addLocation(LocationRequest request) {
        if (request == null) {
            throw ApiException.unprocessable("A body {\"id\", \"name\", \"is_5g\"} is required");
        }
        String id = Texts.required(request.id(), "id", MAX_LOCATION_ID_LENGTH);
        if (!LOCATION_ID.matcher(id).matches()) {
            throw ApiException.unprocessable("id must be 2 to 32 characters of A-Z and 0-9 (what a reseller sends as location_id)");
        }
        String name = Texts.visible(Texts.required(request.name(), "name", MAX_LOCATION_NAME_LENGTH).trim(), "name");
        boolean is5g = Boolean.TRUE.equals(request.is5g());
        return Panache.getSession().chain(session -> session.createNativeQuery("""
                                insert into locations (id, name, is_5g) values (:id, :name, :is5g)
                                on conflict (id) do nothing""")
                        .setParameter("id", id).setParameter("name", name).setParameter("is5g", is5g)
                        .executeUpdate())
                .map(inserted -> {
                    if (inserted == 0) {
                        throw ApiException.conflict(LOCATION_EXISTS, "Location " + id + " exists");
                    }
                    return org.jboss.resteasy.reactive.RestResponse.status(jakarta.ws.rs.core.Response.Status.CREATED,
                            new LocationLoad(id, name, is5g, 0, 0, 0, 0, 0, 0));
                });
    }

    /**
     * Changes a location's {@code name} (1..100, as at creation) or {@code is_5g} (true/false; null reads as absent), at
     * least one given (neither: 422): 200 with the location as {@link #locations()} lists it. 404 unknown location. Its
     * {@code location.updated} event leaves with the change (V15's trigger). For a typo in a new location's name
     * (new-user review 6); the id stays (orders and proxies name it).
     */
    @jakarta.ws.rs.PATCH
    @Path("/locations/{locationId}")
    @Consumes(MediaType.APPLICATION_JSON)
    @WithTransaction
    public Uni<LocationLoad> changeLocation(@PathParam("locationId") String locationId, LocationChange change) {
        if (change == null || change.name() == null && change.is5g() == null) {
            throw ApiException.unprocessable("Give name or is_5g (or both)");
        }
        String name = change.name() == null ? null
                : Texts.visible(Texts.required(change.name(), "name", MAX_LOCATION_NAME_LENGTH).trim(), "name");
        return Panache.getSession().chain(session -> session.createNativeQuery("""
                                update locations set name = coalesce(cast(:name as text), name),
                                                     is_5g = coalesce(cast(:is5g as boolean), is_5g)
                                where id = :id""")
                        .setParameter("name", name).setParameter("is5g", change.is5g()).setParameter("id", locationId)
                        .executeUpdate()
                        // V15's id rule is NOT VALID: a row from before it migrated, but any change of it breaks the
                        // check (23514); that is the operator's input meeting an old row, a 422, not a 500 (static
                        // review, stop 29, finding 9)
                        .onFailure(failure -> hasSqlState(failure, "23514"))
                        .transform(e -> ApiException.unprocessable("Location " + locationId + " has an id from before"
                                + " the id rule (2..32 of A-Z and 0-9) and cannot be changed; add a location under a new"
                                + " id and move its modems there (their agents' config)")))
                .chain(updated -> {
                    if (updated == 0) {
                        return Uni.createFrom().failure(ApiException.notFound("Location not found"));
                    }
                    return readLocations().map(all -> all.stream().filter(l -> l.id().equals(locationId)).findFirst().orElseThrow());
                });
    }

    /**
     * Removes a location no modem and no proxy names (one added by mistake): 204. 404 unknown; 409
     * {@value #LOCATION_IN_USE} when modems (removed ones included) or proxies (ended ones included) name it: they
     * keep it. Its {@code location.updated} event with {@code "active": false} leaves with the delete (V15's
     * trigger): order-service refuses new orders naming it.
     */
    @DELETE
    @Path("/locations/{locationId}")
    @WithTransaction
    public Uni<Void> removeLocation(@PathParam("locationId") String locationId) {
        return Panache.getSession().chain(session -> session.createNativeQuery("""
                                select exists (select 1 from locations where id = :id),
                                       exists (select 1 from modems where location_id = :id)
                                    or exists (select 1 from proxies where location_id = :id)""", Object[].class)
                        .setParameter("id", locationId).getSingleResult()
                        .chain(row -> {
                            if (!(Boolean) row[0]) {
                                return Uni.createFrom().failure(ApiException.notFound("Location not found"));
                            }
                            if ((Boolean) row[1]) {
                                return Uni.createFrom().failure(locationInUse(locationId));
                            }
                            // an agent's Hello may register a modem there between the check and the delete: the
                            // foreign key refuses the delete, which is the same 409, not a 500
                            return session.createNativeQuery("delete from locations where id = :id")
                                    .setParameter("id", locationId).executeUpdate().replaceWithVoid()
                                    .onFailure(failure -> hasSqlState(failure, "23503"))
                                    .transform(e -> locationInUse(locationId));
                        }));
    }

    private static ApiException locationInUse(String locationId) {
        return ApiException.conflict(LOCATION_IN_USE, "Location " + locationId
                + " has modems or proxies (removed and ended ones included): it stays");
    }

    /**
     * PostgreSQL's {@code sqlState} anywhere in {@code failure}'s causes (23503 foreign_key_violation, 23514
     * check_violation), as the client's {@code PgException} or, through Hibernate Reactive's session, its
     * {@code SQLException}.
     */
    private static boolean hasSqlState(Throwable failure, String sqlState) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof io.vertx.pgclient.PgException pg && sqlState.equals(pg.getSqlState())
                    || t instanceof java.sql.SQLException sql && sqlState.equals(sql.getSQLState())) {
                return true;
            }
        }
        return false;
    }

    private static AgentView agent(Object[] row, LocalDateTime liveSince) {
        return new AgentView((String) row[0], (String) row[1], (Boolean) row[2],
                (Boolean) row[2] && ((LocalDateTime) row[3]).isAfter(liveSince), (LocalDateTime) row[3], (String) row[4],
                ((Number) row[5]).intValue(), ((Number) row[6]).intValue(), ((Number) row[7]).longValue(),
                ((Number) row[8]).longValue());
    }

    private static LocationLoad location(Object[] row) {
        return new LocationLoad((String) row[0], (String) row[1], (Boolean) row[2], ((Number) row[3]).longValue(),
                ((Number) row[4]).longValue(), ((Number) row[5]).longValue(), ((Number) row[6]).longValue(),
                ((Number) row[7]).longValue(), ((Number) row[8]).longValue());
    }

    private static ModemView modem(Object[] row) {
        String proxies = (String) row[10];
        List<Long> proxyIds = proxies == null ? List.of() : Arrays.stream(proxies.split(",")).map(Long::valueOf).toList();
        return new ModemView((String) row[0], (String) row[1], (String) row[2], (String) row[3], (Boolean) row[4],
                (Boolean) row[5], (Boolean) row[6], (String) row[7], ((Number) row[8]).intValue(), proxyIds,
                (LocalDateTime) row[9]);
    }
}
