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
