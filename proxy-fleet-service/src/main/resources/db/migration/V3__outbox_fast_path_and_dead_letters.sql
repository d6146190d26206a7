-- Outbox fast path (docs/events.md): claims are leases, the trace context travels with the event, and
-- every insert wakes the publisher on commit (NOTIFY is delivered only when the transaction commits).
alter table outbox_events add column claimed_until timestamp, add column traceparent text;
create index outbox_events_unpublished_by_key on outbox_events (message_key, seq) where published_at is null;
create function outbox_events_notify() returns trigger language plpgsql as $$
begin
    perform pg_notify('outbox_events', '');
    return null;
end $$;
create trigger outbox_events_notify after insert on outbox_events
    for each statement execute function outbox_events_notify();

-- Events a consumer could not apply after its retries (or could not read): parked, never dropped, replayed
-- by an operator through POST /internal/dead-letters/{id}/replay (platform's DeadLetters).
create table dead_letter_events (
    id          bigserial primary key,
    handler     text      not null,
    event_type  text      not null,
    event_id    uuid,
    payload     text      not null,
    error       text      not null,
    attempts    integer   not null,
    parked_at   timestamp not null default (now() at time zone 'utc'),
    replayed_at timestamp
);
create index dead_letter_events_pending on dead_letter_events (id) where replayed_at is null;

-- A proxy waiting for its ProvisionProxy command wakes the dispatcher of every replica on commit
-- (ProvisioningJob listens on 'proxy_dispatch'; its 1 s sweep stays as the safety net).
create function proxies_dispatch_notify() returns trigger language plpgsql as $$
begin
    perform pg_notify('proxy_dispatch', '');
    return null;
end $$;
create trigger proxies_dispatch_notify after insert or update of status on proxies
    for each row when (new.status = 'provisioning') execute function proxies_dispatch_notify();

-- The purchase's trace context, kept with the proxy so the events written from the agent's answer join it.
alter table proxies add column traceparent text;
