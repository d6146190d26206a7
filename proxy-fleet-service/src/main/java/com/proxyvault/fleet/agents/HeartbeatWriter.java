package com.proxyvault.fleet.agents;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.proxyvault.contracts.agent.v1.FleetMessage;
import com.proxyvault.contracts.events.EventEnvelope;
import com.proxyvault.contracts.events.EventTypes;
import com.proxyvault.contracts.events.ProxyIpRotated;
import com.proxyvault.contracts.events.ProxyOnline;
import com.proxyvault.platform.outbox.Outbox;
import com.proxyvault.contracts.agent.v1.ModemStatus;
import com.proxyvault.contracts.agent.v1.ProxyTraffic;
import com.proxyvault.fleet.provisioning.AgentCommands;
import com.proxyvault.fleet.proxies.ProxyStatus;
import com.proxyvault.platform.time.ClockProducer;
import com.proxyvault.fleet.jobs.PhasedJobs;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes heartbeats in batches: everything received since the last write goes to PostgreSQL in one
 * transaction of one statement per kind (agents, traffic, revivals, releases; plus one per extra traffic round; changed exit IPs after it, in a transaction of their own with the {@code proxy.ip_rotated} they cause), every {@code proxyvault.fleet.heartbeat-flush-interval} (250 ms), instead
 * of one transaction with one statement per served proxy per heartbeat (docs/fleet.md "Heartbeats: one write per
 * second"; bench/fleet measured the difference, docs/benchmarks.md "bench/fleet").
 *
 * <p>What a heartbeat records is unchanged: the agent's {@code last_seen_at} becomes the time the heartbeat
 * <em>arrived</em> (never moved back: {@code greatest}), {@code connected} and {@code replica_id} are claimed for
 * this replica while the stream is still this replica's current one for the agent, and each reported proxy
 * of that agent adds the bytes counted since its last report (docs/fleet.md "Byte counters", per report in
 * arrival order, {@link HeartbeatBatch}); a report that moves no counter forward is not written ({@link #UPDATE_TRAFFIC}). Offline detection ({@link AgentLiveness}) therefore sees an agent at
 * most one flush interval later than before: 250 ms against the 30 s timeout and 10 s heartbeats. Offline proxies
 * a heartbeat reports served by their own agent are made active again in the same transaction, with
 * {@code proxy.online} ({@link #REVIVE}). After the write,
 * reported proxies that have {@code expired}, {@code failed} or been {@code disconnected} meanwhile, or that the
 * database places on another agent ({@link #ENDED}), are released on the stream that reported them (docs/fleet.md
 * "Releases without a caller"), and active ones reported on another port than their place are sent their place again,
 * one query for the whole batch. And for agents whose heartbeats list every proxy they serve (protocol 3), the active
 * proxies their latest heartbeat did not list, or listed with another fingerprint ({@link #SUSPECTS}), are sent their
 * place again once two heartbeats in a row show it (docs/fleet.md "Heartbeats as reconciliation"). A modem's exit IP
 * that changed from a known one outside a verified reset is announced to every proxy active on it ({@link #UPDATE_EXIT_IPS},
 * docs/fleet.md "Network changes: an exit IP no reset made").
 *
 * <p>A failed write is logged and its batch dropped, as a failed per-heartbeat transaction was: the next
 * heartbeat (10 s) carries the agent's time and every proxy's running totals again.
 */
@ApplicationScoped
public class HeartbeatWriter {

    private static final Logger LOG = Logger.getLogger(HeartbeatWriter.class);

    static final String UPDATE_AGENTS = """
            update agents a set last_seen_at = greatest(a.last_seen_at, v.seen),
                connected = case when v.held and a.stream_id = v.stream then true else a.connected end,
                replica_id = case when v.held and a.stream_id = v.stream then $4 else a.replica_id end
            from unnest($1::text[], $2::timestamp[], $3::boolean[], $5::uuid[]) as v(id, seen, held, stream)
            where a.id = v.id""";

    /**
     * The counters live in {@code proxy_traffic}, apart from the proxy's row (fleet migration V13): the batch locks
     * no {@code proxies} row, so no reseller command or state change waits for it. Only reports from the proxy's
     * current agent count ({@code join proxies}, read without a lock).
     *
     * <p>Only reports that move a counter forward are written: a new counting start, or a running total above the
     * one last written for the same start. Every heartbeat carries every served proxy's totals, changed or not, and
     * most proxies are idle between two heartbeats; writing those rows anyway made a new row version, a row lock and
     * WAL per proxy per heartbeat (113 ms per batch of 2,900 rows on bench/pay's agent; docs/fleet.md "Traffic counters:
     * only what moved"). The test is made twice, both times against the stored row, never against a memory of
     * earlier reports: once on the row as the statement's snapshot sees it ({@code left join}, so an unchanged proxy
     * is not even locked: ON CONFLICT locks the row it updates before it evaluates its WHERE), and again in the
     * upsert's WHERE on the row as it is when locked (another replica may have written it in between). The first
     * test sits in a subquery that {@code offset 0} keeps apart, so the {@code proxies} probe (is the reporter still
     * the proxy's agent?) runs only for the reports that moved: one primary-key probe per unchanged report. A total
     * <em>below</em> the stored one of the same start is a report that arrived late (the agent's totals only grow
     * while the start stays): skipped, and {@code traffic_last_*} never moves back, so the next report does not
     * count those bytes twice.
     */
    static final String UPDATE_TRAFFIC = """
            insert into proxy_traffic as t (proxy_id, bytes_in, bytes_out, traffic_since_ms, traffic_last_in, traffic_last_out)
            select v.id, v.bytes_in, v.bytes_out, v.since, v.bytes_in, v.bytes_out
            from (select r.* from unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[])
                                  as r(id, agent, since, bytes_in, bytes_out)
                  left join proxy_traffic o on o.proxy_id = r.id
                  where o.proxy_id is null or o.traffic_since_ms is distinct from r.since
                     or r.bytes_in > o.traffic_last_in or r.bytes_out > o.traffic_last_out
                  offset 0) v
            join proxies p on p.id = v.id and p.agent_id = v.agent
            on conflict (proxy_id) do update set
                bytes_in = t.bytes_in + case when t.traffic_since_ms = excluded.traffic_since_ms
                                             then greatest(excluded.traffic_last_in - t.traffic_last_in, 0) else excluded.traffic_last_in end,
                bytes_out = t.bytes_out + case when t.traffic_since_ms = excluded.traffic_since_ms
                                               then greatest(excluded.traffic_last_out - t.traffic_last_out, 0) else excluded.traffic_last_out end,
                traffic_since_ms = excluded.traffic_since_ms,
                traffic_last_in = case when t.traffic_since_ms = excluded.traffic_since_ms
                                       then greatest(t.traffic_last_in, excluded.traffic_last_in) else excluded.traffic_last_in end,
                traffic_last_out = case when t.traffic_since_ms = excluded.traffic_since_ms
                                        then greatest(t.traffic_last_out, excluded.traffic_last_out) else excluded.traffic_last_out end
            where t.traffic_since_ms is distinct from excluded.traffic_since_ms
               or excluded.traffic_last_in > t.traffic_last_in or excluded.traffic_last_out > t.traffic_last_out""";

    /**
     * The reported proxies the reporting agent must not serve ({@code $1} ids, {@code $3} their reporters, pairwise):
     * those ended or disconnected ({@code $2}), and those the database places on another agent, unless a connect's
     * move is still waiting for its new listener ({@code moving_until} after {@code $4}: the old one closes only once
     * the new one is confirmed). Releases go by proxy id; {@code port} 0 (any) where the row's port is the other
     * agent's. A release that failed (a disconnect's, a connect's of the old listener) left the listener serving the
     * proxy's old credentials until the agent's next Hello, and its port refused every new proxy the database placed
     * there (static review, stop 27, finding 4).
     *
     * <p>And ({@code misplaced}) the active proxies their own agent reports on another port than the row's
     * ({@code $5} the reported ports, 0 = not said), not being moved: sent their place again ({@code ProvisionProxy}
     * from the row). A proxy served where the API does not say was noticed only at the agent's next Hello, which a
     * healthy agent that keeps its stream never sends (new-user review, stop 30, H1, cause 3: a command the fleet gave
     * up on, run late). One statement with the releases: the same probe per report.
     */
    static final String ENDED = """
            select p.id, case when p.agent_id = r.agent then p.port else 0 end as port, r.agent as agent_id,
                   p.agent_id = r.agent and p.status = 'active' as misplaced,
                   p.modem_id, p.username, p.password, p.fingerprint
            from unnest($1::bigint[], $3::text[], $5::int[]) as r(id, agent, port)
            join proxies p on p.id = r.id
            where p.status = any($2)
               or (p.agent_id <> r.agent and (p.moving_until is null or p.moving_until <= $4))
               or (p.agent_id = r.agent and p.status = 'active' and r.port <> 0 and p.port <> r.port
                   and (p.moving_until is null or p.moving_until <= $4))""";

    /**
     * What a complete heartbeat ({@link AgentSession#reportsAllServed()}) shows its agent does not serve as the database
     * says ({@code $1} the agents, {@code $2} when their latest heartbeat of the batch arrived, pairwise; {@code $3},
     * {@code $4}, {@code $5} that heartbeat's proxies: agent, proxy id, fingerprint reported or null): the agent's active
     * proxies on online modems that it did not list ({@code unserved}), or listed with another fingerprint than the
     * stored one. Not a proxy written since the heartbeat arrived ({@code updated_at}: it was activated, or its profile
     * stored, after the agent built the heartbeat) and not one a connect or a fingerprint change holds (their leases):
     * those commands are still on their way. What a late command the fleet had given up on left behind, and the drift
     * check of {@link #ENDED} does not see: a release that closed an active proxy's listener, a fingerprint change run
     * after the fleet sent the stored profile back (docs/fleet.md "Heartbeats as reconciliation"; review stop 31,
     * "late hop" and "unserved proxy"). The caller sends their place again only when two heartbeats in a row show the
     * same ({@link AgentSession#confirmSuspects}).
     */
    static final String SUSPECTS = """
            select p.id, p.agent_id, p.modem_id, p.port, p.username, p.password, p.fingerprint, s.id is null as unserved
            from unnest($1::text[], $2::timestamp[]) as a(agent, seen)
            join proxies p on p.agent_id = a.agent and p.status = 'active'
            join modems m on m.id = p.modem_id and m.online
            left join unnest($3::text[], $4::bigint[], $5::text[]) as s(agent, id, fingerprint)
              on s.agent = p.agent_id and s.id = p.id
            where p.updated_at < a.seen
              and (p.moving_until is null or p.moving_until <= $6)
              and (p.fingerprint_until is null or p.fingerprint_until <= $6)
              and (s.id is null or s.fingerprint <> p.fingerprint)""";

    /**
     * Offline proxies that their own agent reports serving ({@code $1} proxy ids, {@code $2} the reporting agents, pairwise;
     * {@code $3} those agents once each, for {@code proxies_offline_by_agent}) are active again: the agent was heard on
     * the stream it kept, so no Hello will revive them (a network blip past the heartbeat timeout, or this fleet's own
     * writes failing for that long; static review, stop 27, finding 1). Only what the agent says it serves: a proxy it
     * lost waits for the reconciliation of its next Hello. The place is still theirs (V22), so this never conflicts.
     * Only on a modem that is online: a proxy its agent's last Hello left offline because the modem was not announced
     * is being released by the reconciler, and a heartbeat still listing it (sent before the release landed) must not
     * make it active with nothing listening (static review, stop 29, finding 3; the Hello's own revival has the same rule).
     */
    static final String REVIVE = """
            update proxies p set status = $4, updated_at = $5
            from unnest($1::bigint[], $2::text[]) as r(id, agent)
            where p.agent_id = any($3::text[]) and p.status = $6 and p.id = r.id and p.agent_id = r.agent
              and exists (select 1 from modems m where m.id = p.modem_id and m.online)
            returning p.id, p.order_id, p.reseller_id, p.agent_id""";
    /**
     * The modems' exit IPs as the batch's heartbeats report them ({@code $1} fleet modem ids, {@code $2} their agents,
     * {@code $3} the IPs, {@code $4} when each heartbeat arrived; {@code $5} now): written where it changed and the row was
     * not written since that heartbeat arrived ({@code updated_at}). A reset the fleet gave up on (no ack in time: "nothing
     * was changed") that the agent still carried out once it got it, or a modem that reconnected with a new address by
     * itself, left {@code exit_ip} (and a verified rotation's "before") wrong until the agent's next Hello (new-user
     * review, stop 30, H1). The {@code updated_at} test keeps a heartbeat that was sent before a verified rotation
     * ended, and written after the rotation stored the new IP, from putting the old one back: the agent sends the
     * rotation's result and its heartbeats on one stream, in order. Run on its own after the batch committed, locking
     * only modem rows and skipping locked ones: inside the batch (agents locked first, then modems) it could deadlock
     * with a placement (a modem locked first, then its agent; static review, stop 31, finding 2); a skipped modem's IP
     * comes again with the agent's next heartbeat.
     *
     * <p>A modem with a reset in flight is left alone ({@code proxy_rotations} {@code rotating} before its give-up
     * time, V29's index): the run announces the IP its reset brought, from the IP it started from; if the run fails,
     * the next heartbeat after it writes and announces the IP (docs/fleet.md "Network changes: an exit IP no reset
     * made"). Left: a claim that commits between this statement's snapshot and its lock of the modem's row is not seen
     * (the row is re-read then, the rotation's row is not), so that heartbeat's IP is announced beside the reset's.
     *
     * <p>Rows: one per modem whose IP was written ({@code modem_id}), joined to each proxy {@code active} on it when the
     * IP before was known (not null, not the empty string a Hello without one stores): {@code (modem_id, id, order_id,
     * reseller_id, old_ip, new_ip)}, {@code id} null for a modem with nobody to tell. {@code old_ip} comes from the row
     * locked, so a write committed meanwhile is the "before". Nothing is read per proxy unless an IP changed: the
     * heartbeat path stays one statement (bench/fleet).
     */
    static final String UPDATE_EXIT_IPS = """
            with changed as (
                select m.id, v.ip, v.seen, m.exit_ip as old_ip from modems m
                join unnest($1::text[], $2::text[], $3::text[], $4::timestamp[]) as v(id, agent, ip, seen)
                  on m.id = v.id and m.agent_id = v.agent
                where m.exit_ip is distinct from v.ip and m.updated_at < v.seen
                  and not exists (select 1 from proxy_rotations r
                                  where r.modem_id = m.id and r.status = 'rotating' and r.give_up_at > $5)
                for update of m skip locked),
            written as (
                update modems m set exit_ip = c.ip, updated_at = c.seen from changed c where m.id = c.id
                returning m.id, c.old_ip, c.ip)
            select w.id as modem_id, p.id, p.order_id, p.reseller_id, w.old_ip, w.ip as new_ip from written w
            left join proxies p on p.modem_id = w.id and p.status = 'active' and w.old_ip <> ''""";
    static final String APPEND_EVENT = """
            insert into outbox_events (id, topic, message_key, payload, traceparent) values ($1, $2, $3, $4, $5)""";

    private final Pool pool;
    private final ObjectMapper mapper;
    private final Clock clock;
    private final FleetReplicas replicas;
    private final AgentRegistry registry;
    private final PhasedJobs jobs;
    private final Duration flushInterval;
    private HeartbeatBatch batch = new HeartbeatBatch();

    public HeartbeatWriter(Pool pool, ObjectMapper mapper, Clock clock, FleetReplicas replicas, AgentRegistry registry, PhasedJobs jobs,
                           @ConfigProperty(name = "proxyvault.fleet.heartbeat-flush-interval") Duration flushInterval) {
        this.pool = pool;
        this.mapper = mapper;
        this.clock = clock;
        this.replicas = replicas;
        this.registry = registry;
        this.jobs = jobs;
        this.flushInterval = flushInterval;
    }

    void start(@Observes StartupEvent event) {
        jobs.every("Writing heartbeats", flushInterval, PhasedJobs.Phase.HEARTBEATS, this::scheduledFlush);
    }

    /** A heartbeat arrived on {@code session}'s stream: noted now, written with the next flush. */
    public void record(AgentSession session, List<ProxyTraffic> traffic) {
        record(session, traffic, List.of());
    }

    /**
     * A heartbeat arrived on {@code session}'s stream with its byte reports and its modems' statuses (whose exit IPs
     * are written where they changed, {@link #UPDATE_EXIT_IPS}): noted now, written with the next flush.
     */
    public void record(AgentSession session, List<ProxyTraffic> traffic, List<ModemStatus> modems) {
        LocalDateTime now = ClockProducer.utcNow(clock);
        synchronized (this) {
            batch.add(session, now, traffic, modems);
        }
    }

    Uni<Void> scheduledFlush() {
        return flush().onFailure().recoverWithItem(e -> {
            LOG.warnf("Writing heartbeats failed, batch dropped: %s", e.toString());
            return 0;
        }).replaceWithVoid();
    }

    /** Writes and empties the current batch; the item is how many heartbeats it held. */
    public Uni<Integer> flush() {
        HeartbeatBatch taken;
        synchronized (this) {
            if (batch.isEmpty()) {
                return Uni.createFrom().item(0);
            }
            taken = batch;
            batch = new HeartbeatBatch();
        }
        Map<String, HeartbeatBatch.Seen> seen = taken.seen();
        List<List<HeartbeatBatch.Report>> rounds = taken.trafficRounds();
        Map<Long, String> reportedBy = new HashMap<>();
        Map<Long, Integer> reportedPort = new HashMap<>();
        rounds.forEach(round -> round.forEach(r -> {
            reportedBy.put(r.proxyId(), r.agentId());
            reportedPort.put(r.proxyId(), r.port());
        }));
        Reports reports = Reports.of(reportedBy, reportedPort);
        List<HeartbeatBatch.ExitIp> exitIps = taken.exitIps();
        return pool.withTransaction(connection -> updateAgents(connection, seen)
                        .chain(() -> updateTraffic(connection, rounds, 0))
                        .chain(() -> revive(connection, reports))
                        .chain(() -> ended(connection, reports))
                        .chain(ended -> suspects(connection, seen).map(suspects -> new Found(ended, suspects))))
                .invoke(found -> {
                    releaseEnded(seen, reportedBy, found.ended());
                    sendSuspectsTheirPlace(seen, found.suspects());
                })
                .call(() -> updateExitIps(exitIps))
                .replaceWith(taken.heartbeats());
    }

    /** What the batch's reads found: proxies to release or re-place ({@link #ENDED}), and suspects ({@link #SUSPECTS}). */
    private record Found(List<Row> ended, List<Row> suspects) {
    }

    /** {@link #SUSPECTS} for the batch's agents whose heartbeats list every proxy they serve, in the batch's transaction. */
    private Uni<List<Row>> suspects(SqlConnection connection, Map<String, HeartbeatBatch.Seen> seen) {
        List<String> agents = new ArrayList<>();
        List<LocalDateTime> at = new ArrayList<>();
        List<String> servedAgents = new ArrayList<>();
        List<Long> servedIds = new ArrayList<>();
        List<String> servedFingerprints = new ArrayList<>();
        seen.forEach((agent, heard) -> {
            if (heard.served() != null) {
                agents.add(agent);
                at.add(heard.at());
                heard.served().forEach((proxyId, fingerprint) -> {
                    servedAgents.add(agent);
                    servedIds.add(proxyId);
                    servedFingerprints.add(fingerprint);
                });
            }
        });
        if (agents.isEmpty()) {
            return Uni.createFrom().item(List.of());
        }
        return connection.preparedQuery(SUSPECTS)
                .execute(Tuple.tuple().addArrayOfString(agents.toArray(String[]::new))
                        .addArrayOfLocalDateTime(at.toArray(LocalDateTime[]::new))
                        .addArrayOfString(servedAgents.toArray(String[]::new))
                        .addArrayOfLong(servedIds.toArray(Long[]::new))
                        .addArrayOfString(servedFingerprints.toArray(String[]::new))
                        .addLocalDateTime(ClockProducer.utcNow(clock)))
                .map(rows -> {
                    List<Row> found = new ArrayList<>();
                    rows.forEach(found::add);
                    return found;
                });
    }

    /**
     * For each checked agent still on its stream here: the suspects this check and the previous one found
     * ({@link AgentSession#confirmSuspects}) are sent their place from the row again (the agent's open is idempotent).
     */
    private void sendSuspectsTheirPlace(Map<String, HeartbeatBatch.Seen> seen, List<Row> suspects) {
        Map<String, Map<Long, Row>> byAgent = new HashMap<>();
        suspects.forEach(row -> byAgent.computeIfAbsent(row.getString("agent_id"), a -> new HashMap<>()).put(row.getLong("id"), row));
        seen.forEach((agent, heard) -> {
            if (heard.served() == null || registry.session(agent).map(s -> s != heard.session()).orElse(true)) {
                return;
            }
            Map<Long, Row> found = byAgent.getOrDefault(agent, Map.of());
            for (Long proxyId : heard.session().confirmSuspects(found.keySet())) {
                Row row = found.get(proxyId);
                LOG.warnf("Agent %s %s proxy %d in two heartbeats in a row: sending it its place again", agent,
                        Boolean.TRUE.equals(row.getBoolean("unserved")) ? "did not list" : "listed another fingerprint for",
                        proxyId);
                reprovision(heard.session(), row);
            }
        });
    }

    /** The batch's reports as parallel arrays: proxy ids, the agent that reported each and the port it said (0: none). */
    private record Reports(Long[] ids, String[] agents, Integer[] ports) {
        static Reports of(Map<Long, String> reportedBy, Map<Long, Integer> reportedPort) {
            Long[] ids = new Long[reportedBy.size()];
            String[] agents = new String[reportedBy.size()];
            Integer[] ports = new Integer[reportedBy.size()];
            int i = 0;
            for (var e : reportedBy.entrySet()) {
                ids[i] = e.getKey();
                agents[i] = e.getValue();
                ports[i] = reportedPort.getOrDefault(e.getKey(), 0);
                i++;
            }
            return new Reports(ids, agents, ports);
        }

        boolean isEmpty() {
            return ids.length == 0;
        }
    }

    /** {@link #REVIVE} and a {@code proxy.online} per revived proxy, in the batch's transaction. */
    private Uni<Void> revive(SqlConnection connection, Reports reports) {
        if (reports.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        String[] reporters = java.util.Arrays.stream(reports.agents()).distinct().toArray(String[]::new);
        return connection.preparedQuery(REVIVE)
                .execute(Tuple.tuple().addArrayOfLong(reports.ids()).addArrayOfString(reports.agents()).addArrayOfString(reporters)
                        .addString(ProxyStatus.ACTIVE).addLocalDateTime(ClockProducer.utcNow(clock)).addString(ProxyStatus.OFFLINE))
                .chain(rows -> {
                    if (rows.rowCount() == 0) {
                        return Uni.createFrom().voidItem();
                    }
                    List<Tuple> events = new ArrayList<>();
                    Map<String, Integer> perAgent = new HashMap<>();
                    for (Row row : rows) {
                        Outbox.Row event = Outbox.row(mapper, EventEnvelope.of(EventTypes.PROXY_ONLINE, row.getLong("reseller_id"),
                                new ProxyOnline(row.getLong("id"), row.getLong("order_id")), clock));
                        events.add(Tuple.of(event.id(), event.topic(), event.key(), event.payload(), event.traceparent()));
                        perAgent.merge(row.getString("agent_id"), 1, Integer::sum);
                    }
                    perAgent.forEach((agent, n) -> LOG.infof("Agent %s is heard again: %d offline proxies it serves active again", agent, n));
                    return connection.preparedQuery(APPEND_EVENT).executeBatch(events).replaceWithVoid();
                });
    }

    private Uni<Void> updateAgents(SqlConnection connection, Map<String, HeartbeatBatch.Seen> seen) {
        String[] ids = new String[seen.size()];
        LocalDateTime[] at = new LocalDateTime[seen.size()];
        Boolean[] held = new Boolean[seen.size()];
        java.util.UUID[] streams = new java.util.UUID[seen.size()];
        int i = 0;
        for (var e : seen.entrySet()) {
            ids[i] = e.getKey();
            at[i] = e.getValue().at();
            // only a stream that is still the agent's current one here claims it (not one that ended meanwhile)
            held[i] = registry.session(e.getKey()).map(s -> s == e.getValue().session()).orElse(false);
            // and claims it only while the row still names that stream (V26): not after the agent's Hello elsewhere
            streams[i] = e.getValue().session().stream();
            i++;
        }
        return connection.preparedQuery(UPDATE_AGENTS)
                .execute(Tuple.tuple().addArrayOfString(ids).addArrayOfLocalDateTime(at).addArrayOfBoolean(held).addString(replicas.id())
                        .addArrayOfUUID(streams))
                .replaceWithVoid();
    }

    private Uni<Void> updateExitIps(List<HeartbeatBatch.ExitIp> exitIps) {
        if (exitIps.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        int n = exitIps.size();
        String[] ids = new String[n];
        String[] agents = new String[n];
        String[] ips = new String[n];
        LocalDateTime[] at = new LocalDateTime[n];
        for (int i = 0; i < n; i++) {
            HeartbeatBatch.ExitIp e = exitIps.get(i);
            ids[i] = e.modemId();
            agents[i] = e.agentId();
            ips[i] = e.exitIp();
            at[i] = e.at();
        }
        // A transaction per flush (not per heartbeat): the events go out with the IP they announce or not at all.
        return pool.withTransaction(connection -> connection.preparedQuery(UPDATE_EXIT_IPS)
                        .execute(Tuple.tuple().addArrayOfString(ids).addArrayOfString(agents).addArrayOfString(ips)
                                .addArrayOfLocalDateTime(at).addLocalDateTime(ClockProducer.utcNow(clock)))
                        .chain(rows -> announceNetworkChanges(connection, rows)))
                // the batch itself is written: a failure here costs only these IPs until the next heartbeat
                .onFailure().invoke(e -> LOG.warnf("Writing modems' exit IPs from heartbeats failed: %s", e.toString()))
                .onFailure().recoverWithNull();
    }

    /**
     * {@code proxy.ip_rotated} with {@code trigger} {@value ProxyIpRotated#NETWORK} ({@code mode} none, 0 attempts) for
     * each proxy row {@link #UPDATE_EXIT_IPS} returned, each to its own reseller, in the transaction that wrote the IP
     * (docs/fleet.md "Network changes: an exit IP no reset made"). A change of exit IP the fleet only learns from the
     * agent changes every proxy's IP on that modem just as a reset does, and a reseller keeping an allowlist in sync
     * missed it before.
     */
    private Uni<Void> announceNetworkChanges(SqlConnection connection, RowSet<Row> rows) {
        if (rows.rowCount() == 0) {
            return Uni.createFrom().voidItem();
        }
        Set<String> modems = new HashSet<>();
        List<Tuple> events = new ArrayList<>();
        for (Row row : rows) {
            modems.add(row.getString("modem_id"));
            Long proxyId = row.getLong("id");
            if (proxyId != null) {
                Outbox.Row event = Outbox.row(mapper, EventEnvelope.of(EventTypes.PROXY_IP_ROTATED, row.getLong("reseller_id"),
                        ProxyIpRotated.network(proxyId, row.getLong("order_id"), row.getString("old_ip"), row.getString("new_ip")),
                        clock));
                events.add(Tuple.of(event.id(), event.topic(), event.key(), event.payload(), event.traceparent()));
            }
        }
        LOG.infof("%d modems' exit IPs changed outside a verified rotation (heartbeats): %d proxy.ip_rotated (network)",
                modems.size(), events.size());
        return events.isEmpty() ? Uni.createFrom().voidItem()
                : connection.preparedQuery(APPEND_EVENT).executeBatch(events).replaceWithVoid();
    }

    private Uni<Void> updateTraffic(SqlConnection connection, List<List<HeartbeatBatch.Report>> rounds, int index) {
        if (index >= rounds.size()) {
            return Uni.createFrom().voidItem();
        }
        List<HeartbeatBatch.Report> round = rounds.get(index);
        int n = round.size();
        Long[] ids = new Long[n];
        String[] agents = new String[n];
        Long[] since = new Long[n];
        Long[] in = new Long[n];
        Long[] out = new Long[n];
        for (int i = 0; i < n; i++) {
            HeartbeatBatch.Report r = round.get(i);
            ids[i] = r.proxyId();
            agents[i] = r.agentId();
            since[i] = r.since();
            in[i] = r.bytesIn();
            out[i] = r.bytesOut();
        }
        return connection.preparedQuery(UPDATE_TRAFFIC)
                .execute(Tuple.tuple().addArrayOfLong(ids).addArrayOfString(agents).addArrayOfLong(since)
                        .addArrayOfLong(in).addArrayOfLong(out))
                .chain(() -> updateTraffic(connection, rounds, index + 1));
    }

    /**
     * The reported proxies their reporter must not serve ({@link #ENDED}), read in the batch's transaction: one
     * transaction per flush where the read after the commit was a second one (docs/fleet.md "Cost per purchase").
     */
    private Uni<List<Row>> ended(SqlConnection connection, Reports reports) {
        if (reports.isEmpty()) {
            return Uni.createFrom().item(List.of());
        }
        return connection.preparedQuery(ENDED)
                .execute(Tuple.of(reports.ids(), new String[] {ProxyStatus.EXPIRED, ProxyStatus.FAILED, ProxyStatus.DISCONNECTED},
                        reports.agents(), ClockProducer.utcNow(clock), reports.ports()))
                .map(rows -> {
                    List<Row> ended = new ArrayList<>();
                    rows.forEach(ended::add);
                    return ended;
                });
    }

    /** Proxies their reporter must not serve, reported on a stream here: released on that stream, once the batch committed. */
    private void releaseEnded(Map<String, HeartbeatBatch.Seen> seen, Map<Long, String> reportedBy, List<Row> ended) {
        for (Row row : ended) {
            long proxyId = row.getLong("id");
            String agentId = row.getString("agent_id");
            HeartbeatBatch.Seen from = seen.get(agentId);
            if (from != null && agentId.equals(reportedBy.get(proxyId))) {
                if (Boolean.TRUE.equals(row.getBoolean("misplaced"))) {
                    LOG.warnf("Agent %s serves proxy %d on another port than its place (%d): sending it its place again",
                            agentId, proxyId, row.getInteger("port"));
                    reprovision(from.session(), row);
                } else {
                    release(from.session(), proxyId, row.getInteger("port"));
                }
            }
        }
    }

    /**
     * An active proxy its agent serves on another port than the row's ({@link #ENDED}), or does not serve as the row says
     * ({@link #SUSPECTS}): its place from the row (modem, port, credentials, fingerprint), sent again.
     */
    private void reprovision(AgentSession session, Row row) {
        com.proxyvault.fleet.proxies.Proxy proxy = new com.proxyvault.fleet.proxies.Proxy();
        proxy.id = row.getLong("id");
        proxy.modemId = row.getString("modem_id");
        proxy.port = row.getInteger("port");
        proxy.username = row.getString("username");
        proxy.password = row.getString("password");
        proxy.fingerprint = row.getString("fingerprint");
        session.command(AgentCommands.provision(proxy)).subscribe().with(
                result -> {
                    if (!result.getOk()) {
                        LOG.warnf("Agent %s could not re-open proxy %d on port %d: %s", session.agentId(), proxy.id,
                                proxy.port, result.getError());
                    }
                },
                failure -> LOG.warnf("Agent %s did not answer re-opening proxy %d: %s", session.agentId(), proxy.id,
                        failure.getMessage()));
    }

    private void release(AgentSession session, long proxyId, int port) {
        String what = "release proxy " + proxyId + " it must no longer serve";
        LOG.infof("Agent %s: %s", session.agentId(), what);
        FleetMessage.Builder command = AgentCommands.release(proxyId, port);
        session.command(command).subscribe().with(
                result -> {
                    if (!result.getOk()) {
                        LOG.warnf("Agent %s could not %s: %s", session.agentId(), what, result.getError());
                    }
                },
                failure -> LOG.warnf("Agent %s did not answer to %s", session.agentId(), what));
    }
}
