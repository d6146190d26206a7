-- Endpoints registered by resellers. A deleted webhook keeps its row (deleted_at) so its delivery
-- history stays for operators; the API treats it as gone.
create table webhooks (
    id          bigserial primary key,
    reseller_id bigint    not null,
    url         text      not null,
    -- Needed in clear to sign every delivery; shown to the reseller only in the create response.
    secret      text      not null,
    -- "*" or a normalized comma-separated list: "order.paid,proxy.expired".
    events      text      not null,
    created_at  timestamp not null default (now() at time zone 'utc'),
    deleted_at  timestamp
);
create index webhooks_active_by_reseller on webhooks (reseller_id, id) where deleted_at is null;

-- One row per (webhook, event): what has to be delivered, holding the envelope JSON exactly as it came
-- from Kafka, so every attempt signs and sends the same bytes.
create table deliveries (
    id              bigserial primary key,
    webhook_id      bigint    not null references webhooks (id),
    reseller_id     bigint    not null,
    event_id        uuid      not null,
    event_type      text      not null,
    payload         text      not null,
    -- pending -> delivered | failed (retries used up) | cancelled (webhook deleted)
    status          text      not null default 'pending',
    attempts        integer   not null default 0,
    -- When the dispatcher may (re)try it; also pushed forward as a lease while an attempt is in flight.
    next_attempt_at timestamp not null default (now() at time zone 'utc'),
    created_at      timestamp not null default (now() at time zone 'utc'),
    unique (webhook_id, event_id),
    constraint deliveries_status check (status in ('pending', 'delivered', 'failed', 'cancelled'))
);
create index deliveries_due on deliveries (next_attempt_at, id) where status = 'pending';

-- Every HTTP attempt, successful or not: what GET /v1/reseller/webhooks/{id}/deliveries lists.
create table delivery_attempts (
    id              bigserial primary key,
    delivery_id     bigint    not null references deliveries (id),
    webhook_id      bigint    not null references webhooks (id),
    event_type      text      not null,
    attempt         integer   not null,
    success         boolean   not null,
    -- null when no HTTP response came back (refused connection, timeout, TLS error, blocked address).
    response_status integer,
    error           text,
    attempted_at    timestamp not null
);
create index delivery_attempts_by_webhook on delivery_attempts (webhook_id, id);

-- Inbox of the idempotent consumer (contracts Inbox): one row per event id and handler.
create table processed_events (
    event_id     uuid      not null,
    handler      text      not null,
    processed_at timestamp not null default (now() at time zone 'utc'),
    primary key (event_id, handler)
);
