-- Where a new proxy goes: the one placement rule, used by place_paid_order (a paid order, Kafka) and by
-- ModemAllocator.place (connect to another location, the operator's reprovisioning), in the caller's
-- transaction. Repeatable: create or replace.
--
-- The rule (issue 8 item 4, docs/fleet.md "Placement"): the least-loaded modem that is online, not draining,
-- on a live agent (connected, heard from after p_live_since, and its stream held by a replica whose lease lives at
-- p_now: docs/fleet.md "Two replicas", "Who is connected"), in p_location when given, never p_excluded,
-- with a free slot (live proxies < capacity; a proxy holding one: provisioning, active or offline, V22, and a
-- connect's move for the place it is leaving, V24); ties by modem id. It is locked
-- (for update skip locked: two placements never wait on one modem, they take different ones) and its slots
-- are counted again once locked, because the candidate query's snapshot may miss a proxy committed on that
-- modem just before the lock; a modem that turned out full is passed over (6 walks at most in all).
-- When the skipping walk finds no candidate at all while a modem with a free slot exists, that modem is locked by
-- a placement in flight (20 placements on 12 slots: all free modems can be locked at once, and the purchase was
-- failed and refunded while a slot was free): it waits for that placement to end and walks again, at most 3
-- times. The wait takes the weakest lock that conflicts with FOR UPDATE (FOR KEY SHARE) in a subtransaction that
-- is rolled back at once, so it holds no lock while it or anyone else waits. A plain FOR UPDATE walk would keep
-- the locks of modems its recheck passed over as full (PostgreSQL locks before it rechecks), and two waiting walks
-- then deadlocked on each other's full modems (seen: 40P01 in 4 runs of 5). Then the agent's row is locked (it
-- serialises port choices on one agent) and its lowest free port is taken. An agent with no port left in its range
-- is passed over with all its modems and the walk starts again (at most 4 such agents per placement): its modem's
-- free slot is no placement, and failing there refused a purchase that another agent's modem could take.
--
-- Cost: independent of the number of modems and proxies (fleet migration V16, docs/fleet.md "Placement cost").
-- The candidate walks modems_free_by_load (or, with a location, modems_free_by_location_load): the modems with a
-- free slot in (live_proxies, id) order, live_proxies kept by a trigger on `proxies`; it stops at the first one on
-- a live agent that is not excluded and not locked. The form before it counted every modem's live proxies and
-- sorted every eligible modem (O(modems + live proxies): 10.4 ms idle with bench/pay's 2,006 modems, 36.7 ms
-- per call under load). It still passes over the online modems of agents that are not live (their proxies are
-- offline, so they sort first), one index entry each. The slots are counted again from `proxies` once locked
-- (at most capacity rows), so a counter that had drifted low could never fill a modem past its capacity. The
-- port is the lesser of the agent's first free_ports row and its highest live port + 1 (V16): two index
-- lookups where the range was probed port by port (O(range): 3.6 ms).
--
-- The live replicas are read once per call (fleet_replicas holds one row per replica, a handful): an agent whose
-- holder was killed kept its recent last_seen_at for up to 45 s, and purchases placed on it then waited the whole
-- FLEET_PROVISION_TIMEOUT (120 s) and were refunded while another agent had free modems (new-user review). Its
-- stream counts only while the holder's lease lives (FLEET_REPLICA_LEASE, 15 s), as AgentRouter's forwarding does.
--
-- Returns one row (modem_id, agent_id, location_id, public_host, port), or none when no modem or port is free.
-- p_now: the caller's clock (the same one that writes fleet_replicas.lease_until), UTC.
create or replace function pick_placement(p_location text, p_live_since timestamp, p_excluded text, p_now timestamp)
    returns table (modem_id text, agent_id text, location_id text, public_host text, port integer)
    language plpgsql as $$
#variable_conflict use_column
declare
    v_modem record;
    v_agent record;
    v_excluded text[] := array[coalesce(p_excluded, '')];
    v_full_agents text[] := array[]::text[];
    v_used bigint;
    v_placed boolean := false;
    v_waits integer := 0;
    v_busy text;
    v_port integer;
    v_live_replicas text[] := array(select r.id from fleet_replicas r where r.lease_until > p_now);
begin
    <<placement>>
    loop
        for attempt in 1..6 loop
            -- two forms, each of which can walk only its own index: "a free slot" is spelled as that index's
            -- predicate (V16 says why); one plan for "p_location is null or ..." would walk one index for both.
            if p_location is null then
                select m.id, m.agent_id, m.location_id, m.capacity into v_modem from modems m join agents a on a.id = m.agent_id
                where m.online and not m.draining and m.capacity - m.live_proxies > 0 and m.id <> all (v_excluded)
                  and a.connected and a.last_seen_at > p_live_since and a.replica_id = any (v_live_replicas)
                  and m.agent_id <> all (v_full_agents)
                order by m.live_proxies, m.id limit 1 for update of m skip locked;
            else
                select m.id, m.agent_id, m.location_id, m.capacity into v_modem from modems m join agents a on a.id = m.agent_id
                where m.online and not m.draining and m.live_proxies < m.capacity and m.id <> all (v_excluded)
                  and a.connected and a.last_seen_at > p_live_since and a.replica_id = any (v_live_replicas)
                  and m.agent_id <> all (v_full_agents) and m.location_id = p_location
                order by m.live_proxies, m.id limit 1 for update of m skip locked;
            end if;
            if not found then
                exit when v_waits = 3;
                -- a modem with a free slot that the walk skipped: latest committed counts, no lock
                if p_location is null then
                    select m.id into v_busy from modems m join agents a on a.id = m.agent_id
                    where m.online and not m.draining and m.capacity - m.live_proxies > 0 and m.id <> all (v_excluded)
                      and a.connected and a.last_seen_at > p_live_since and a.replica_id = any (v_live_replicas)
                      and m.agent_id <> all (v_full_agents)
                    order by m.live_proxies, m.id limit 1;
                else
                    select m.id into v_busy from modems m join agents a on a.id = m.agent_id
                    where m.online and not m.draining and m.live_proxies < m.capacity and m.id <> all (v_excluded)
                      and a.connected and a.last_seen_at > p_live_since and a.replica_id = any (v_live_replicas)
                      and m.agent_id <> all (v_full_agents) and m.location_id = p_location
                    order by m.live_proxies, m.id limit 1;
                end if;
                exit when not found;
                v_waits := v_waits + 1;
                begin
                    perform 1 from modems m where m.id = v_busy for key share;
                    raise sqlstate 'PVW01';
                exception when sqlstate 'PVW01' then
                    null; -- the subtransaction's rollback releases the lock it just took
                end;
                continue;
            end if;
            -- held: its proxies' places and the place a moving proxy is leaving (V24)
            v_used := held_slots(v_modem.id);
            v_placed := v_used < v_modem.capacity;
            exit when v_placed;
            v_excluded := v_excluded || v_modem.id;
        end loop;
        if not v_placed then
            return;
        end if;
        select a.public_host, a.port_range_start, a.port_range_end into v_agent
        from agents a where a.id = v_modem.agent_id for update;
        -- a free_ports row that is live after all would be passed over (the triggers keep none: a safety net, one
        -- probe per row)
        select least(
                   (select f.port from free_ports f
                    where f.agent_id = v_modem.agent_id and f.port between v_agent.port_range_start and v_agent.port_range_end
                      and not port_held(f.agent_id, f.port)
                    order by f.port limit 1),
                   coalesce(highest_held_port(v_modem.agent_id, v_agent.port_range_start, v_agent.port_range_end) + 1,
                            v_agent.port_range_start))
        into v_port;
        exit placement when v_port <= v_agent.port_range_end;
        -- the modem has a slot but its agent has no port left: pass over that agent's modems and walk again (at
        -- most 4 agents), rather than fail the purchase while another agent has both
        v_full_agents := v_full_agents || v_modem.agent_id::text;
        if cardinality(v_full_agents) > 4 then
            return;
        end if;
        v_placed := false;
        v_waits := 0;
    end loop placement;
    return query select v_modem.id::text, v_modem.agent_id::text, v_modem.location_id::text, v_agent.public_host::text, v_port;
end $$;

-- The form before p_now, kept for one release: during a rolling update the first new replica runs this migration
-- while replicas of the previous release still call pick_placement(location, live_since, excluded) from
-- ModemAllocator.place (connect to another location, an operator's reprovisioning): dropping it failed those calls
-- with "function does not exist" until the old replicas were replaced (paid orders go through place_paid_order, whose
-- signature stayed). Its clock is the database's: it reads the lease with now(). Drop it in the release after the
-- one that added p_now.
create or replace function pick_placement(p_location text, p_live_since timestamp, p_excluded text)
    returns table (modem_id text, agent_id text, location_id text, public_host text, port integer)
    language sql as $$
    select * from pick_placement(p_location, p_live_since, p_excluded, (now() at time zone 'utc')::timestamp)
$$;
