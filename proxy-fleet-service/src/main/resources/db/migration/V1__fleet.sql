create table locations (
    id    text primary key,
    name  text    not null,
    is_5g boolean not null default false
);
insert into locations (id, name, is_5g)
values ('LAX', 'Los Angeles', false),
       ('NYC', 'New York', false),
       ('MIA', 'Miami', false);

-- A modem farm host running device-agent. `connected` is true while its gRPC stream is open.
create table agents (
    id               text primary key,
    public_host      text      not null,
    port_range_start integer   not null,
    port_range_end   integer   not null,
    agent_version    text,
    connected        boolean   not null default false,
    last_seen_at     timestamp not null
);

create table modems (
    id          text primary key, -- '<agent id>/<modem id>': modem ids are only unique per agent
    agent_id    text      not null references agents (id),
    modem_id    text      not null,
    location_id text      not null references locations (id),
    is_5g       boolean   not null,
    exit_ip     text      not null,
    online      boolean   not null default true,
    -- Proxies one modem serves at once; a dedicated mobile proxy means one.
    capacity    integer   not null default 1 check (capacity >= 0),
    updated_at  timestamp not null
);

create table proxies (
    id               bigserial primary key,
    reseller_id      bigint    not null,
    order_id         bigint    not null unique, -- one proxy per order, whatever Kafka redelivers
    name             text      not null,
    modem_id         text      not null references modems (id),
    agent_id         text      not null references agents (id),
    location_id      text      not null references locations (id),
    ip               text      not null,
    port             integer   not null,
    username         text      not null,
    password         text      not null,
    status           text      not null check (status in ('provisioning', 'active', 'failed', 'expired')),
    period_type      text      not null,
    period_duration  integer   not null,
    failure_reason   text,
    created_at       timestamp not null,
    command_sent_at  timestamp,
    activated_at     timestamp,
    expires_at       timestamp,
    updated_at       timestamp not null
);
create index proxies_by_reseller on proxies (reseller_id, id);
create index proxies_provisioning on proxies (created_at) where status = 'provisioning';
create index proxies_active_expiry on proxies (expires_at) where status = 'active';
-- A port on an agent serves one live proxy; the database refuses a double allocation outright.
create unique index proxies_live_port on proxies (agent_id, port) where status in ('provisioning', 'active');

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
