create table orders (
    id              bigserial primary key,
    reseller_id     bigint         not null,
    product_id      bigint         not null references products (id),
    pricing_id      bigint         not null references pricings (id),
    -- Snapshot of the catalog at order time: a later price change never alters an order.
    product_name    text           not null,
    pricing_label   text           not null,
    amount_usd      numeric(14, 2) not null check (amount_usd > 0),
    period_type     text           not null,
    period_duration integer        not null,
    status          text           not null check (status in
                        ('pending_payment', 'paid', 'provisioning', 'active', 'expired', 'failed')),
    proxy_id        bigint,
    failure_reason  text,
    created_at      timestamp      not null,
    paid_at         timestamp,
    expires_at      timestamp,
    updated_at      timestamp      not null
);
create index orders_by_reseller on orders (reseller_id, id desc);

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
