-- Locations are announced to the other services (F12, docs/events.md "Locations"): order-service refuses a
-- purchase naming a location the fleet does not serve (422 at creation instead of charging, failing and
-- refunding it), without asking the fleet synchronously. Every change of a `locations` row writes a
-- `location.updated` event to the outbox in the same transaction, whoever makes it (a migration, an operator's
-- SQL): triggers, so no writer can forget. Fleet-wide event: reseller_id 0, key = the location id (the topic is
-- compacted to each location's last state), `version` from one sequence so a consumer keeps the newest state.

-- What resellers may send as location_id (order-service's and the event schema's rule), so every id announced
-- is one a purchase can name. NOT VALID: enforced for every new or changed row, while a deployment that already
-- has an id outside the rule (no purchase could name it anyway) still migrates instead of stopping at start.
alter table locations add constraint locations_id_syntax check (id ~ '^[A-Z0-9]{2,32}$') not valid;

create sequence location_event_versions;

-- One location.updated outbox row for `loc`, built as EventJson writes an envelope.
create function announce_location(loc locations, is_active boolean) returns void language sql as $$
    insert into outbox_events (id, topic, message_key, payload)
    select e.id, 'location.updated', loc.id, json_build_object(
               'id', e.id,
               'type', 'location.updated',
               'occurred_at', to_char(now() at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS'),
               'reseller_id', 0,
               'data', json_build_object('location_id', loc.id, 'name', loc.name, 'is_5g', loc.is_5g,
                                         'active', is_active, 'version', nextval('location_event_versions')))::text
    from (select gen_random_uuid() as id) e
$$;

create function locations_announce() returns trigger language plpgsql as $$
begin
    if tg_op = 'DELETE' then
        perform announce_location(old, false);
    else
        if tg_op = 'UPDATE' and old.id <> new.id then
            perform announce_location(old, false); -- renamed: the old id is gone
        end if;
        perform announce_location(new, true);
    end if;
    return null;
end $$;

create trigger locations_announce_insert_delete after insert or delete on locations
    for each row execute function locations_announce();
create trigger locations_announce_update after update on locations
    for each row when (old is distinct from new) execute function locations_announce();

-- The locations that exist now, once (the compacted topic keeps them for every later reader).
select announce_location(l, true) from locations l order by l.id;
