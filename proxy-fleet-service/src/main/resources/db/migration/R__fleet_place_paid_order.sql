-- A paid order's placement in one round trip (OrderPaidListener, issue 7 item 7 "cost"): what the
-- order.paid consumer did as a Hibernate transaction of ~11 round trips (BEGIN, inbox row, "has a proxy?",
-- pick a modem, count its slots again, lock the agent, lowest free port, insert, outbox, COMMIT), as one
-- call, run as one autocommit statement, so all of it commits or none. The modem and port come from
-- pick_placement (R__fleet_pick_placement.sql), the one placement rule, which ModemAllocator.place calls too.
-- Repeatable, so every statement is idempotent (create or replace; the drop removes the form before p_replica).
--
-- p_event / p_handler: the inbox row (processed_events): a redelivered order.paid changes nothing.
-- p_provisioning_*: the proxy.provisioning outbox row; its payload (the envelope JSON as Jackson wrote it)
--   carries "proxy_id":0 and "location_id":null, replaced here by the proxy's id and the modem's location
--   (known only here) as text, so the rest of the JSON stays byte for byte as written.
-- p_failed_*: the proxy.provision_failed outbox row, used when there is no room; its "reason":null is
--   replaced by the reason.
-- p_replica: the calling replica (FLEET_REPLICA_ID). When the chosen agent's stream is held by it
--   (agents.replica_id, as the dispatch claim reads it), the new row is claimed for dispatch in the same insert
--   (command_sent_at = p_now, claimed = true) and the caller sends ProvisionProxy itself once this committed:
--   no notification, and no separate claim transaction on any replica (docs/fleet.md "Cost per purchase").
--   Otherwise command_sent_at stays null and the insert's notification wakes the replica holding the agent
--   (ProvisioningJob), as before.
-- Returns one row: outcome 'placed' (proxy_id, modem_id, port, agent_id, location_id, ip, updated_at as stored,
-- claimed), 'failed' (reason), 'duplicate' (event seen) or 'exists' (the order has its proxy already: an event
-- re-sent with a new id).
drop function if exists place_paid_order(uuid, text, bigint, bigint, text, timestamp, timestamp, text, text, text, text,
    integer, text, text, uuid, text, text, uuid, text, text);
create or replace function place_paid_order(
    p_event uuid, p_handler text, p_reseller bigint, p_order bigint, p_location text, p_live_since timestamp,
    p_now timestamp, p_name text, p_username text, p_password text, p_period_type text, p_period_duration integer,
    p_traceparent text, p_key text,
    p_provisioning_id uuid, p_provisioning_topic text, p_provisioning_payload text,
    p_failed_id uuid, p_failed_topic text, p_failed_payload text, p_replica text)
    returns table (outcome text, proxy_id bigint, modem_id text, port integer, reason text, agent_id text,
                   location_id text, ip text, updated_at timestamp, claimed boolean)
    language plpgsql as $$
declare
    v_modem text;
    v_agent text;
    v_location text;
    v_host text;
    v_port integer;
    v_proxy bigint;
    v_updated timestamp;
    v_claimed boolean;
    v_reason text;
begin
    insert into processed_events (event_id, handler) values (p_event, p_handler) on conflict do nothing;
    if not found then
        return query select 'duplicate'::text, null::bigint, null::text, null::integer, null::text, null::text, null::text,
                            null::text, null::timestamp, false;
        return;
    end if;
    if exists (select 1 from proxies p where p.order_id = p_order) then
        return query select 'exists'::text, null::bigint, null::text, null::integer, null::text, null::text, null::text,
                            null::text, null::timestamp, false;
        return;
    end if;
    select pp.modem_id, pp.agent_id, pp.location_id, pp.public_host, pp.port into v_modem, v_agent, v_location, v_host, v_port
    from pick_placement(p_location, p_live_since, null, p_now) pp;
    if v_port is null then
        v_reason := case
            when p_location is null then 'No free modem available'
            when exists (select 1 from locations l where l.id = p_location) then 'No free modem available in ' || p_location
            else 'Unknown location ' || p_location end;
        insert into outbox_events (id, topic, message_key, payload, traceparent)
        values (p_failed_id, p_failed_topic, p_key,
                replace(p_failed_payload, '"reason":null', '"reason":' || to_json(v_reason)::text), p_traceparent);
        return query select 'failed'::text, null::bigint, null::text, null::integer, v_reason, null::text, null::text,
                            null::text, null::timestamp, false;
        return;
    end if;
    -- claimed for dispatch here when this replica holds the agent's stream (the agent's row, locked by
    -- pick_placement, read in the same statement)
    insert into proxies (reseller_id, order_id, name, modem_id, agent_id, location_id, ip, port, username, password,
                         status, fingerprint, period_type, period_duration, created_at, updated_at, traceparent,
                         command_sent_at)
    select p_reseller, p_order, p_name, v_modem, v_agent, v_location, v_host, v_port,
           p_username, p_password, 'provisioning', 'none', p_period_type, p_period_duration, p_now, p_now, p_traceparent,
           case when a.replica_id = p_replica then p_now end
    from agents a where a.id = v_agent
    returning proxies.id, proxies.updated_at, proxies.command_sent_at is not null into v_proxy, v_updated, v_claimed;
    insert into outbox_events (id, topic, message_key, payload, traceparent)
    values (p_provisioning_id, p_provisioning_topic, p_key,
            replace(replace(p_provisioning_payload, '"proxy_id":0', '"proxy_id":' || v_proxy),
                    '"location_id":null', '"location_id":' || to_json(v_location)::text),
            p_traceparent);
    return query select 'placed'::text, v_proxy, v_modem, v_port, null::text, v_agent, v_location, v_host, v_updated,
                        v_claimed;
end $$;
