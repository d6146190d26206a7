-- An offline proxy keeps its modem slot and its port (docs/fleet.md "Offline detection": "they keep port and
-- credentials"; ProxyStatus.HOLDING_PORT). Until now only provisioning and active proxies held a place (V1's
-- proxies_live_port, V16's bookkeeping), so the offline sweep gave an offline proxy's slot and port to the next
-- purchase while its agent, silent for a moment, still served it there: the agent refused the new proxy's port
-- (the purchase failed and was refunded, again for every purchase placed there), and the Hello that brought the
-- agent back failed on proxies_live_port while the new proxy held the port, so the agent could not register at
-- all (static review, stop 27, findings 1 and 2). A place is now held by provisioning, active and offline proxies.

-- 1. Offline proxies whose port was already given away cannot get it back: they are disconnected (no place, the
-- paid period running; a connect gives them a new one), before the index below would refuse them. Run while the
-- triggers still count only provisioning and active, for which offline -> disconnected changes nothing.
update proxies o set status = 'disconnected', updated_at = (now() at time zone 'utc')
where o.status = 'offline'
  and exists (select 1 from proxies p
              where p.agent_id = o.agent_id and p.port = o.port and p.id <> o.id
                and (p.status in ('provisioning', 'active') or (p.status = 'offline' and p.id > o.id)));

-- 2. One holder per port, offline included.
drop index proxies_live_port;
create unique index proxies_live_port on proxies (agent_id, port) where status in ('provisioning', 'active', 'offline');

-- 3. V16's bookkeeping with the wider rule: the same functions, the predicate only.
create or replace function refill_free_ports(p_agent text) returns void language sql as $$
    delete from free_ports where agent_id = p_agent;
    insert into free_ports (agent_id, port)
    select a.id, s.port
    from agents a
    cross join lateral generate_series(a.port_range_start,
        (select max(p.port) from proxies p
         where p.agent_id = a.id and p.status in ('provisioning', 'active', 'offline')
           and p.port between a.port_range_start and a.port_range_end) - 1) as s(port)
    where a.id = p_agent
      and not exists (select 1 from proxies p
                      where p.agent_id = a.id and p.port = s.port and p.status in ('provisioning', 'active', 'offline'));
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
        select max(p.port) into v_below from proxies p
        where p.agent_id = v_place.agent_id and p.status in ('provisioning', 'active', 'offline')
          and p.port >= v_range.port_range_start and p.port < v_place.port;
        if coalesce(v_below + 1, v_range.port_range_start) < v_place.port then
            insert into free_ports (agent_id, port)
            select v_place.agent_id, s.port
            from generate_series(coalesce(v_below + 1, v_range.port_range_start), v_place.port - 1) as s(port)
            on conflict do nothing;
        end if;
    end loop;
end $$;

create or replace function proxies_live_places() returns trigger language plpgsql as $$
declare
    v_gone live_place[];
    v_came live_place[];
begin
    if tg_op = 'INSERT' then
        select array_agg(row (n.modem_id, n.agent_id, n.port)::live_place) into v_came
        from new_rows n where n.status in ('provisioning', 'active', 'offline');
    elsif tg_op = 'DELETE' then
        select array_agg(row (o.modem_id, o.agent_id, o.port)::live_place) into v_gone
        from old_rows o where o.status in ('provisioning', 'active', 'offline');
    else
        select array_agg(row (o.modem_id, o.agent_id, o.port)::live_place) filter (where o.status in ('provisioning', 'active', 'offline')),
               array_agg(row (n.modem_id, n.agent_id, n.port)::live_place) filter (where n.status in ('provisioning', 'active', 'offline'))
        into v_gone, v_came
        from old_rows o join new_rows n on n.id = o.id
        where (o.status in ('provisioning', 'active', 'offline') or n.status in ('provisioning', 'active', 'offline'))
          and (o.status in ('provisioning', 'active', 'offline'), o.modem_id, o.agent_id, o.port)
              is distinct from (n.status in ('provisioning', 'active', 'offline'), n.modem_id, n.agent_id, n.port);
    end if;
    if v_gone is not null or v_came is not null then
        perform live_places_changed(coalesce(v_gone, '{}'), coalesce(v_came, '{}'));
    end if;
    return null;
end $$;

-- 4. The counts and free ports again from `proxies`, with offline proxies in them.
update modems m set live_proxies = (select count(*) from proxies p
                                     where p.modem_id = m.id and p.status in ('provisioning', 'active', 'offline'));
select refill_free_ports(id) from agents;

-- 5. Placement's recount of a modem reads this index (V19 made it for the operator's lists).
drop index proxies_live_by_modem;
