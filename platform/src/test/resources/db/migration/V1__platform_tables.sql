-- The tables every producer and consumer has (docs/events.md), as the services' migrations build them.
create table outbox_events (
    seq          bigserial primary key,
    id           uuid      not null unique,
    topic        text      not null,
    message_key  text      not null,
    payload      text      not null,
    created_at   timestamp not null default (now() at time zone 'utc'),
    published_at timestamp
);
create index outbox_events_unpublished on outbox_events (seq) where published_at is null;
create table processed_events (
    event_id     uuid      not null,
    handler      text      not null,
    processed_at timestamp not null default (now() at time zone 'utc'),
    primary key (event_id, handler)
);
-- What the test consumers' effects write.
create table effects (
    id       bigserial primary key,
    event_id uuid not null,
    note     text not null
);
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
