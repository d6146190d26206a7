-- billing announces every charge (charge.posted) through a transactional outbox: order-service uses it
-- to complete an order whose pay request died after the charge.
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
