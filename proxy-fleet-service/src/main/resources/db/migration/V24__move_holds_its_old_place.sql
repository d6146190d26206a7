-- A connect keeps the place it leaves booked until its move has ended (docs/fleet.md "Connect while one runs";
-- static review, stop 27, finding 5). The connect's placement commits the proxy's new place before the new agent
-- has opened the listener, and the old listener is closed only after that. The old slot and port were free from the
-- commit on, so a purchase placed on the old agent in those seconds took the old port (the agent, still serving the
-- moving proxy there, refused it: failed and refunded) or the old modem's slot, and a refused move's revert then put
-- the proxy back on a modem already at capacity, or, with its old port taken, left it disconnected while its old
-- listener still served. Now the row also names the place it is leaving (move_from_*), and that place is held, by
-- the same bookkeeping as a proxy's own place (V16, V22), until the move ends: the new listener confirmed and the old
-- one released (the hold cleared with the lease), or the move put back (the proxy is in that place again), or the
-- lease lapsed (its replica died: MoveHolds clears what it left).
alter table proxies
    add column move_from_modem_id text,
    add column move_from_agent_id text,
    add column move_from_port integer,
    add constraint proxies_move_from_whole check (
        (move_from_modem_id is null) = (move_from_agent_id is null) and (move_from_modem_id is null) = (move_from_port is null));

-- The recount of a modem's slots and the port probes find held places through these (empty but for moves in flight).
create index proxies_move_from_modem on proxies (move_from_modem_id) where move_from_modem_id is not null;
create index proxies_move_from_port on proxies (move_from_agent_id, move_from_port) where move_from_modem_id is not null;

-- The places a proxy row holds: its own while provisioning, active or offline (V22), and the one a move is leaving.
-- Columns, not the row: a transition table's whole-row reference is not of the table's type.
create function held_places(p_status text, p_modem text, p_agent text, p_port integer,
                            p_from_modem text, p_from_agent text, p_from_port integer)
    returns setof live_place language sql immutable as $$
    select row (p_modem, p_agent, p_port)::live_place where p_status in ('provisioning', 'active', 'offline')
    union all
    select row (p_from_modem, p_from_agent, p_from_port)::live_place where p_from_modem is not null
$$;

-- The highest port of p_agent held between p_from and p_to (null when none), by either kind of place: two index
-- lookups (proxies_live_port, proxies_move_from_port).
create function highest_held_port(p_agent text, p_from integer, p_to integer) returns integer language sql stable as $$
    select greatest(
        (select max(p.port) from proxies p
         where p.agent_id = p_agent and p.status in ('provisioning', 'active', 'offline') and p.port between p_from and p_to),
        (select max(p.move_from_port) from proxies p
         where p.move_from_agent_id = p_agent and p.move_from_modem_id is not null and p.move_from_port between p_from and p_to))
$$;

-- Whether p_port of p_agent is held, by either kind of place.
create function port_held(p_agent text, p_port integer) returns boolean language sql stable as $$
    select exists (select 1 from proxies p where p.agent_id = p_agent and p.port = p_port
                                              and p.status in ('provisioning', 'active', 'offline'))
        or exists (select 1 from proxies p where p.move_from_agent_id = p_agent and p.move_from_port = p_port
                                              and p.move_from_modem_id is not null)
$$;

-- How many places of p_modem are held, by either kind of place.
create function held_slots(p_modem text) returns bigint language sql stable as $$
    select (select count(*) from proxies p where p.modem_id = p_modem and p.status in ('provisioning', 'active', 'offline'))
         + (select count(*) from proxies p where p.move_from_modem_id = p_modem)
$$;

-- V16/V22's bookkeeping, with held places wherever it asked for live ports.
create or replace function refill_free_ports(p_agent text) returns void language sql as $$
    delete from free_ports where agent_id = p_agent;
    insert into free_ports (agent_id, port)
    select a.id, s.port
    from agents a
    cross join lateral generate_series(a.port_range_start,
        highest_held_port(a.id, a.port_range_start, a.port_range_end) - 1) as s(port)
    where a.id = p_agent and not port_held(a.id, s.port);
$$;

create or replace function live_places_changed(p_gone live_place[], p_came live_place[]) returns void language plpgsql as $$
declare
    v_modem record;
    v_place live_place;
    v_agent text;
    v_range record;
    v_below integer;
begin
    for v_modem in
        select c.modem_id, sum(c.delta)::integer as delta
        from (select g.modem_id, -1 as delta from unnest(p_gone) g
              union all
              select n.modem_id, 1 from unnest(p_came) n) c
        group by c.modem_id having sum(c.delta) <> 0 order by c.modem_id
    loop
        update modems set live_proxies = live_proxies + v_modem.delta where id = v_modem.modem_id;
    end loop;

    foreach v_place in array p_gone loop
        insert into free_ports (agent_id, port)
        select a.id, v_place.port from agents a
        where a.id = v_place.agent_id and v_place.port between a.port_range_start and a.port_range_end
        on conflict do nothing;
    end loop;

    for v_place in select n.* from unnest(p_came) n order by n.agent_id, n.port loop
        if v_place.agent_id is distinct from v_agent then
            v_agent := v_place.agent_id;
            select a.port_range_start, a.port_range_end into v_range from agents a where a.id = v_agent for update;
        end if;
        delete from free_ports f where f.agent_id = v_place.agent_id and f.port = v_place.port;
        continue when v_place.port not between v_range.port_range_start and v_range.port_range_end;
        v_below := highest_held_port(v_place.agent_id, v_range.port_range_start, v_place.port - 1);
        if coalesce(v_below + 1, v_range.port_range_start) < v_place.port then
            insert into free_ports (agent_id, port)
            select v_place.agent_id, s.port
            from generate_series(coalesce(v_below + 1, v_range.port_range_start), v_place.port - 1) as s(port)
            on conflict do nothing;
        end if;
    end loop;
end $$;

-- Per statement, the places its rows held before and hold after, netted row by row: a move's placement takes the
-- new place and keeps the old one (nothing gone), its end gives the old one back, its revert gives the new one back.
create or replace function proxies_live_places() returns trigger language plpgsql as $$
declare
    v_gone live_place[];
    v_came live_place[];
begin
    if tg_op = 'INSERT' then
        select array_agg(row (h.modem_id, h.agent_id, h.port)::live_place) into v_came
        from new_rows n
        cross join lateral held_places(n.status, n.modem_id, n.agent_id, n.port,
                                       n.move_from_modem_id, n.move_from_agent_id, n.move_from_port) h;
    elsif tg_op = 'DELETE' then
        select array_agg(row (h.modem_id, h.agent_id, h.port)::live_place) into v_gone
        from old_rows o
        cross join lateral held_places(o.status, o.modem_id, o.agent_id, o.port,
                                       o.move_from_modem_id, o.move_from_agent_id, o.move_from_port) h;
    else
        with before as (select o.id, row (h.modem_id, h.agent_id, h.port)::live_place as place from old_rows o
                        cross join lateral held_places(o.status, o.modem_id, o.agent_id, o.port,
                                                       o.move_from_modem_id, o.move_from_agent_id, o.move_from_port) h),
             after as (select n.id, row (h.modem_id, h.agent_id, h.port)::live_place as place from new_rows n
                       cross join lateral held_places(n.status, n.modem_id, n.agent_id, n.port,
                                                      n.move_from_modem_id, n.move_from_agent_id, n.move_from_port) h)
        select array(select g.place from (select * from before except all select * from after) g),
               array(select c.place from (select * from after except all select * from before) c)
        into v_gone, v_came;
    end if;
    if cardinality(v_gone) > 0 or cardinality(v_came) > 0 then
        perform live_places_changed(coalesce(v_gone, '{}'), coalesce(v_came, '{}'));
    end if;
    return null;
end $$;
