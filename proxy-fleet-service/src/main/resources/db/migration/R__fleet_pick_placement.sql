-- Where a new proxy goes: the one placement rule, used by place_paid_order (a paid order, Kafka) and by
-- ModemAllocator.place (connect to another location, the operator's reprovisioning), in the caller's
-- transaction. Repeatable: create or replace.
--
-- The rule (issue 8 item 4, docs/fleet.md "Placement"): the least-loaded modem that is online, not draining,
-- on a live agent (connected, heard from after p_live_since), in p_location when given, never p_excluded,
-- with a free slot (live proxies < capacity; live = provisioning or active); ties by modem id. It is locked
-- (for update skip locked: two placements never wait on one modem, they take different ones) and its slots
-- are counted again once locked, because the candidate query's snapshot may miss a proxy committed on that
-- modem just before the lock; a modem that turned out full is passed over, at most 3 candidates. Then the
-- agent's row is locked (it serialises port choices on one agent) and its lowest free port is taken.
--
-- Cost: the live proxies are counted per modem once, by one hash aggregate over the partial index
-- proxies_live_by_modem, and joined to the modems; the form before it counted them with two correlated
-- subqueries per modem (2 x 2,006 index probes with bench/pay's modems: ~5 ms idle, 20-45 ms on the loaded
-- machine, and the order.paid consumer runs one placement at a time; docs/benchmarks.md "bench/pay").
-- Still one pass over the modems: O(modems + live proxies) per placement.
--
-- Returns one row (modem_id, agent_id, location_id, public_host, port), or none when no modem or port is free.
create or replace function pick_placement(p_location text, p_live_since timestamp, p_excluded text)
    returns table (modem_id text, agent_id text, location_id text, public_host text, port integer)
    language plpgsql as $$
#variable_conflict use_column
declare
    v_modem record;
    v_excluded text[] := array[coalesce(p_excluded, '')];
    v_used bigint;
    v_placed boolean := false;
    v_port integer;
begin
    for attempt in 1..3 loop
        -- the live statuses spelled out: PostgreSQL uses the partial index on live proxies
        with used as (select p.modem_id, count(*) as n from proxies p
                      where p.status in ('provisioning', 'active') group by p.modem_id)
        select m.id, m.agent_id, m.location_id, a.public_host, a.port_range_start, a.port_range_end, m.capacity
        into v_modem
        from modems m join agents a on a.id = m.agent_id left join used u on u.modem_id = m.id
        where a.connected and a.last_seen_at > p_live_since and m.online and not m.draining
          and (p_location is null or m.location_id = p_location)
          and m.id <> all (v_excluded)
          and m.capacity > coalesce(u.n, 0)
        order by coalesce(u.n, 0), m.id
        limit 1
        for update of m skip locked;
        if not found then
            return;
        end if;
        select count(*) into v_used from proxies p where p.modem_id = v_modem.id and p.status in ('provisioning', 'active');
        v_placed := v_used < v_modem.capacity;
        exit when v_placed;
        v_excluded := v_excluded || v_modem.id;
    end loop;
    if not v_placed then
        return;
    end if;
    perform 1 from agents a where a.id = v_modem.agent_id for update;
    select min(s.port) into v_port
    from generate_series(v_modem.port_range_start, v_modem.port_range_end) as s(port)
    where not exists (select 1 from proxies p
                      where p.agent_id = v_modem.agent_id and p.port = s.port and p.status in ('provisioning', 'active'));
    if v_port is null then
        return;
    end if;
    return query select v_modem.id::text, v_modem.agent_id::text, v_modem.location_id::text, v_modem.public_host::text, v_port;
end $$;
