-- V24's statement trigger, returning at once when the statement moved no place (bench/fleet A/B of stop 28: the
-- PostgreSQL time per heartbeat rose by 6-16 % with V24, whose netting with `except all` ran for every statement on
-- proxies, also for the heartbeat batch's revival UPDATE that matched no row and for MoveHolds' statement each
-- second). A statement moved no place when it touched no row, or when every row it updated kept the seven columns
-- held_places reads, with "holds its own place" (provisioning, active, offline) read as one value, so an activation
-- (provisioning -> active) or a counter update (bytes, last seen) skips the netting too. Anything else nets as V24 did.
create or replace function proxies_live_places() returns trigger language plpgsql as $$
declare
    v_gone live_place[];
    v_came live_place[];
begin
    if tg_op = 'INSERT' then
        if not exists (select 1 from new_rows) then
            return null;
        end if;
        select array_agg(row (h.modem_id, h.agent_id, h.port)::live_place) into v_came
        from new_rows n
        cross join lateral held_places(n.status, n.modem_id, n.agent_id, n.port,
                                       n.move_from_modem_id, n.move_from_agent_id, n.move_from_port) h;
    elsif tg_op = 'DELETE' then
        if not exists (select 1 from old_rows) then
            return null;
        end if;
        select array_agg(row (h.modem_id, h.agent_id, h.port)::live_place) into v_gone
        from old_rows o
        cross join lateral held_places(o.status, o.modem_id, o.agent_id, o.port,
                                       o.move_from_modem_id, o.move_from_agent_id, o.move_from_port) h;
    else
        -- ids never change (the primary key), so rows pair by id
        if not exists (
            select 1 from old_rows o join new_rows n on n.id = o.id
            where (o.status in ('provisioning', 'active', 'offline'), o.modem_id, o.agent_id, o.port,
                   o.move_from_modem_id, o.move_from_agent_id, o.move_from_port)
                  is distinct from
                  (n.status in ('provisioning', 'active', 'offline'), n.modem_id, n.agent_id, n.port,
                   n.move_from_modem_id, n.move_from_agent_id, n.move_from_port)) then
            return null;
        end if;
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
