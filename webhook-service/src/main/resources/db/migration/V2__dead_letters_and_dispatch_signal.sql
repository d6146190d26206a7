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

-- New deliveries wake the dispatcher of every replica on commit (DeliveryDispatcher listens on
-- 'webhook_deliveries'; its 1 s sweep stays for retries that come due and as the safety net).
create function deliveries_notify() returns trigger language plpgsql as $$
begin
    perform pg_notify('webhook_deliveries', '');
    return null;
end $$;
create trigger deliveries_notify after insert on deliveries
    for each statement execute function deliveries_notify();
