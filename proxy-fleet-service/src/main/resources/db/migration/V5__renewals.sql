-- Renewals and expiry notices (issue 7, docs/money.md "Renewals").
-- auto_renew: renew from the balance at the expiry checkpoints. notice_expiry: the expires_at the checkpoint
-- bookkeeping refers to (null, or another value than expires_at, means "not looked at since it changed":
-- activation, a renewal, an auto_renew switch); next_checkpoint_at: when the next checkpoint of that expiry is due
-- (null: none left).
alter table proxies add column auto_renew boolean not null default false;
alter table proxies add column notice_expiry timestamp;
alter table proxies add column next_checkpoint_at timestamp;
create index proxies_next_checkpoint on proxies (next_checkpoint_at)
    where status in ('active', 'disconnected') and next_checkpoint_at is not null;

-- One row per renewal order carried out: a redelivered order.paid extends the proxy once.
create table proxy_renewals (
    order_id            bigint primary key,
    proxy_id            bigint    not null references proxies (id),
    reseller_id         bigint    not null,
    previous_expires_at timestamp not null,
    expires_at          timestamp not null,
    renewed_at          timestamp not null,
    check (expires_at > previous_expires_at)
);
create index proxy_renewals_by_proxy on proxy_renewals (proxy_id);
