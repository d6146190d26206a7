-- Placement without a pass over the fleet (issue 7 "Cost"; docs/fleet.md "Placement", "Placement cost").
-- pick_placement (R__fleet_pick_placement.sql) counted the live proxies of every modem and sorted every eligible
-- modem to choose one (O(modems + live proxies): 10.4 ms idle with bench/pay's 2,006 modems on one agent), then
-- probed every port of the agent's range for the lowest free one (O(range): 3.6 ms). Both choices now read an
-- index and stop at the first row that fits, kept right by triggers on `proxies` and `agents`, so that no
-- writer (placement, activation, failure, expiry, disconnect, connect and its revert, offline marking, the
-- Hello's revival, an operator's SQL) can forget them. "Live" is what it always was: provisioning or active.

-- 1. How many live proxies each modem holds. Candidate modems are walked in (live_proxies, id) order, the
-- placement rule's order, through an index that holds only modems with a free slot: the first modem on a live
-- agent that is not excluded and not locked is the least-loaded one. One index for a placement anywhere, one for
-- a placement in a location. Their "free slot" predicates are spelled differently on purpose, each as its own
-- query in pick_placement spells it: PostgreSQL uses a partial index only for a query whose WHERE implies the
-- index's predicate, so each query can use only its own index. With one spelling the planner walked the
-- fleet-wide index for a location and filtered the other locations' modems out (it assumes a location's modems
-- are spread evenly over the load order): when that location is the busy one, the walk passes over every
-- less-loaded modem elsewhere.
alter table modems add column live_proxies integer not null default 0 check (live_proxies >= 0);
update modems m set live_proxies = l.n
from (select modem_id, count(*) as n from proxies where status in ('provisioning', 'active') group by modem_id) l
where m.id = l.modem_id;
create index modems_free_by_load on modems (live_proxies, id)
    where online and not draining and capacity - live_proxies > 0;
create index modems_free_by_location_load on modems (location_id, live_proxies, id)
    where online and not draining and live_proxies < capacity;

-- 2. The free ports of an agent's range below its highest live port (the ports above it are all free and need
-- no row): the lowest free port is the lesser of this table's first row and the highest live port + 1, two
-- index lookups. A row is written when a live proxy gives its port up, and for the ports a proxy skips when it
-- takes one above a gap (a proxy made live again keeps the port it had; placement itself takes the lowest);
-- it is removed when a proxy takes the port. Rows may lie above the highest live port (a released top port):
-- harmless, the lesser of the two is taken. When a Hello changes the agent's range, the agent's rows are
-- computed again from `proxies` (refill_free_ports).
create table free_ports (
    agent_id text    not null references agents (id) on delete cascade,
    port     integer not null,
    primary key (agent_id, port)
);

-- The free ports of `p_agent`'s range below its highest live port in that range, from `proxies`: O(range).
-- Used for the backfill below and when a Hello changes the range, never per placement.
create function refill_free_ports(p_agent text) returns void language sql as $$
    delete from free_ports where agent_id = p_agent;
    insert into free_ports (agent_id, port)
    select a.id, s.port
    from agents a
    cross join lateral generate_series(a.port_range_start,
        (select max(p.port) from proxies p
         where p.agent_id = a.id and p.status in ('provisioning', 'active')
           and p.port between a.port_range_start and a.port_range_end) - 1) as s(port)
    where a.id = p_agent
      and not exists (select 1 from proxies p
                      where p.agent_id = a.id and p.port = s.port and p.status in ('provisioning', 'active'));
$$;
select refill_free_ports(id) from agents;

create function agents_port_range_changed() returns trigger language plpgsql as $$
begin
    perform refill_free_ports(new.id);
    return null;
end $$;
create trigger agents_port_range_changed after update of port_range_start, port_range_end on agents
    for each row when (old.port_range_start <> new.port_range_start or old.port_range_end <> new.port_range_end)
    execute function agents_port_range_changed();

-- 3. The triggers. Per statement, not per row: a statement's changes are netted per modem and the modems'
-- rows are locked in id order, so two statements that change proxies on the same modems (two replicas' offline
-- sweeps, say) never lock them crosswise and deadlock; a batch on one modem is one write of its row.
-- A live place: where a live proxy is. A proxy that stops being live, or moves while live, leaves one ("gone");
-- one that becomes live, or arrives while live, takes one ("came").
create type live_place as (modem_id text, agent_id text, port integer);

create function live_places_changed(p_gone live_place[], p_came live_place[]) returns void language plpgsql as $$
declare
    v_modem record;
    v_place live_place;
    v_agent text;
    v_range record;
    v_below integer;
begin
    -- One statement per row below, each an index lookup with scalar parameters: set-based forms over unnest(...)
    -- got generic plans that read all of free_ports (a hash join) or all of agents (a seq scan).

    -- the modems' counts: the net change of each, one update per modem in id order, so two statements that
    -- change the same modems lock them in the same order and cannot deadlock on them
    for v_modem in
        select c.modem_id, sum(c.delta)::integer as delta
        from (select g.modem_id, -1 as delta from unnest(p_gone) g
              union all
              select n.modem_id, 1 from unnest(p_came) n) c
        group by c.modem_id having sum(c.delta) <> 0 order by c.modem_id
    loop
        update modems set live_proxies = live_proxies + v_modem.delta where id = v_modem.modem_id;
    end loop;

    -- a port given up, within the agent's current range, is a free row now (if the same statement takes it
    -- again, it loses the row again below)
    foreach v_place in array p_gone loop
        insert into free_ports (agent_id, port)
        select a.id, v_place.port from agents a
        where a.id = v_place.agent_id and v_place.port between a.port_range_start and a.port_range_end
        on conflict do nothing;
    end loop;

    -- a port taken, by agent in id order: the agent's row is locked first (placement and the Hello hold it
    -- already), so takes on one agent happen one at a time and the gap below a taken port is computed from a
    -- settled set of live ports
    for v_place in select n.* from unnest(p_came) n order by n.agent_id, n.port loop
        if v_place.agent_id is distinct from v_agent then
            v_agent := v_place.agent_id;
            select a.port_range_start, a.port_range_end into v_range from agents a where a.id = v_agent for update;
        end if;
        delete from free_ports f where f.agent_id = v_place.agent_id and f.port = v_place.port;
        continue when v_place.port not between v_range.port_range_start and v_range.port_range_end;
        -- the free ports between the highest live port below the taken one and it: none when placement took the
        -- lowest free port; a revived proxy keeps its port, which may lie above a gap
        select max(p.port) into v_below from proxies p
        where p.agent_id = v_place.agent_id and p.status in ('provisioning', 'active')
          and p.port >= v_range.port_range_start and p.port < v_place.port;
        if coalesce(v_below + 1, v_range.port_range_start) < v_place.port then
            insert into free_ports (agent_id, port)
            select v_place.agent_id, s.port
            from generate_series(coalesce(v_below + 1, v_range.port_range_start), v_place.port - 1) as s(port)
            on conflict do nothing;
        end if;
    end loop;
end $$;

create function proxies_live_places() returns trigger language plpgsql as $$
declare
    v_gone live_place[];
    v_came live_place[];
begin
    if tg_op = 'INSERT' then
        select array_agg(row (n.modem_id, n.agent_id, n.port)::live_place) into v_came
        from new_rows n where n.status in ('provisioning', 'active');
    elsif tg_op = 'DELETE' then
        select array_agg(row (o.modem_id, o.agent_id, o.port)::live_place) into v_gone
        from old_rows o where o.status in ('provisioning', 'active');
    else
        select array_agg(row (o.modem_id, o.agent_id, o.port)::live_place) filter (where o.status in ('provisioning', 'active')),
               array_agg(row (n.modem_id, n.agent_id, n.port)::live_place) filter (where n.status in ('provisioning', 'active'))
        into v_gone, v_came
        from old_rows o join new_rows n on n.id = o.id
        where (o.status in ('provisioning', 'active') or n.status in ('provisioning', 'active'))
          and (o.status in ('provisioning', 'active'), o.modem_id, o.agent_id, o.port)
              is distinct from (n.status in ('provisioning', 'active'), n.modem_id, n.agent_id, n.port);
    end if;
    if v_gone is not null or v_came is not null then
        perform live_places_changed(coalesce(v_gone, '{}'), coalesce(v_came, '{}'));
    end if;
    return null;
end $$;

-- one trigger per event: PostgreSQL allows transition tables only on a trigger with a single event
create trigger proxies_live_places_insert after insert on proxies
    referencing new table as new_rows for each statement execute function proxies_live_places();
create trigger proxies_live_places_update after update on proxies
    referencing old table as old_rows new table as new_rows for each statement execute function proxies_live_places();
create trigger proxies_live_places_delete after delete on proxies
    referencing old table as old_rows for each statement execute function proxies_live_places();
