-- platform's outbox fast path, for every service that produces events (Flyway location db/platform/outbox;
-- the service's own migrations create outbox_events). Repeatable: runs after the versioned migrations and
-- again whenever this file changes, so every statement is idempotent. docs/events.md has the whole DDL.
--   claimed_until / claim_token: the relay's lease on a row (claim, send, mark: no transaction open while
--                                Kafka acks); mark and release only act on the relay's own claim
--   attempts / failed_at:        failed sends; after too many the row is set aside (failed_at) so it cannot
--                                hold its key's later events back for ever (logged, visible, re-armed by
--                                setting failed_at back to null)
--   traceparent:                 the W3C trace context of the transaction that wrote the event
alter table outbox_events add column if not exists claimed_until timestamp;
alter table outbox_events add column if not exists claim_token uuid;
alter table outbox_events add column if not exists attempts integer not null default 0;
alter table outbox_events add column if not exists failed_at timestamp;
alter table outbox_events add column if not exists traceparent text;
create index if not exists outbox_events_unpublished_by_key on outbox_events (message_key, seq) where published_at is null;

-- Every insert wakes the publisher of every replica; NOTIFY is delivered only when the transaction commits.
create or replace function outbox_events_notify() returns trigger language plpgsql as $$
begin
    perform pg_notify('outbox_events', '');
    return null;
end $$;
drop trigger if exists outbox_events_notify on outbox_events;
create trigger outbox_events_notify after insert on outbox_events
    for each statement execute function outbox_events_notify();
