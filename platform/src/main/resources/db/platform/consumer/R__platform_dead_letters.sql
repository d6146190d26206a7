-- platform's consumer template, for every service that consumes events (Flyway location
-- db/platform/consumer; the service's own migrations create processed_events). Repeatable and idempotent.
-- Events a consumer could not apply after its retries (or could not read): parked, never dropped, replayed by
-- an operator through /internal/dead-letters/{id}/replay (platform's DeadLetters).
create table if not exists dead_letter_events (
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
create index if not exists dead_letter_events_pending on dead_letter_events (id) where replayed_at is null;
-- One pending row per (handler, event): a record re-delivered after a crash between parking and the
-- offset commit is not parked twice.
create unique index if not exists dead_letter_events_pending_once on dead_letter_events (handler, event_id)
    where replayed_at is null and event_id is not null;
