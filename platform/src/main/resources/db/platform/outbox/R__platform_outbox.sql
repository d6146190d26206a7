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

-- The relay's claim in one round trip (OutboxRelay.claim): take the claim lock, then lease up to batch_size
-- unpublished rows in seq order, skipping every row whose key still has an earlier row under another live
-- lease. Called as one autocommit statement, so the transaction-scoped advisory lock is held until the
-- claim commits, and two replicas never claim the same row or rows of one key at once. The function is
-- VOLATILE (the default), so in READ COMMITTED its update takes a snapshot after the lock was granted and
-- sees the claims the previous holder committed. Replaces BEGIN, the lock, the update and COMMIT as four
-- round trips (docs/events.md "Outbox", bench/pay).
create or replace function outbox_claim(lock_id bigint, lease_seconds double precision, batch_size integer, token uuid)
    returns table (seq bigint, topic text, message_key text, payload text, traceparent text)
    language plpgsql as $$
begin
    perform pg_advisory_xact_lock(lock_id);
    return query
        update outbox_events o
        set claimed_until = (now() at time zone 'utc') + make_interval(secs => lease_seconds), claim_token = token
        where o.seq in (
            select c.seq from outbox_events c
            where c.published_at is null and c.failed_at is null
              and (c.claimed_until is null or c.claimed_until < (now() at time zone 'utc'))
              and not exists (
                  select 1 from outbox_events p
                  where p.message_key = c.message_key and p.published_at is null and p.failed_at is null
                    and p.seq < c.seq and p.claimed_until >= (now() at time zone 'utc'))
            order by c.seq
            limit batch_size)
        returning o.seq, o.topic, o.message_key, o.payload, o.traceparent;
end $$;

-- The mark is not folded into the next claim (tried 2026-12-01 and taken back): the acknowledged rows then
-- stayed leased until the relay's next round, so a relay killed in between (kill -9, an OOM kill) held every
-- later event of those keys back for the whole lease on the other replicas (CI's crash and scale drills).
drop function if exists outbox_claim(bigint, double precision, integer, uuid, bigint[], uuid);
