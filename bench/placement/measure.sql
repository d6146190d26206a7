-- Timed in the server (bench/placement/run), so that the client's round trips and the scheduling of a shared
-- machine between them do not count: :calls calls each of pick_placement (the choice alone), place_paid_order
-- (inbox row, choice, proxy row and its triggers, outbox row) and an update of a proxy that changes nothing live
-- (a fingerprint: the triggers' cost when they have nothing to do), each undone by rolling back its
-- subtransaction, after a few unmeasured calls of each. :loc is NULL or a quoted location id. Prints
-- microseconds per call: pick|place|touch.
create temporary table measured (pick numeric, place numeric, touch numeric);
select set_config('bench.calls', :'calls', false), set_config('bench.loc', coalesce(:loc, ''), false) \gset
do $$
declare
    n integer := current_setting('bench.calls')::integer;
    v_loc text := nullif(current_setting('bench.loc'), '');
    m integer;
    t0 timestamptz;
    us numeric[] := '{0,0,0}';
begin
    -- pass 1 (5 calls each, not kept) compiles the functions and settles their plans; pass 2 is measured.
    -- what: 1 pick_placement, 2 place_paid_order, 3 the update
    for pass in 1..2 loop
        m := case when pass = 1 then 5 else n end;
        for what in 1..3 loop
            t0 := clock_timestamp();
            for i in 1..m loop
                begin
                    if what = 1 then
                        perform * from pick_placement(v_loc, (now() at time zone 'utc')::timestamp - interval '30 seconds', null);
                    elsif what = 2 then
                        perform * from place_paid_order(gen_random_uuid(), 'bench', 1, 900000000 + i, v_loc,
                            (now() at time zone 'utc')::timestamp - interval '30 seconds', (now() at time zone 'utc')::timestamp,
                            'bench', 'u', 'p', 'hour', 1, null, '1',
                            gen_random_uuid(), 'proxy.provisioning', '{"proxy_id":0,"location_id":null}',
                            gen_random_uuid(), 'proxy.provision_failed', '{"reason":null}', 'bench');
                    else
                        update proxies set fingerprint = 'linux', updated_at = now() at time zone 'utc'
                        where id = 1 + (i * 7919) % 20000;
                    end if;
                    raise exception 'undo';
                exception when raise_exception then null;
                end;
            end loop;
            us[what] := round(extract(epoch from clock_timestamp() - t0) * 1e6 / m);
        end loop;
    end loop;
    insert into measured values (us[1], us[2], us[3]);
end $$;
select * from measured;
