-- Renewals (issue 7, docs/money.md "Renewals"): an order either buys a new proxy ('purchase') or extends
-- the proxy it names in proxy_id ('renewal'; set from creation on). Renewal orders follow the same
-- lifecycle table: pending_payment → paid → active (the fleet moved expires_at), failed (refunded: the
-- proxy ended first) or cancelled (unpaid, or an auto-renewal billing refused).
alter table orders add column kind text not null default 'purchase' check (kind in ('purchase', 'renewal'));
alter table orders add constraint orders_renewal_names_proxy check (kind = 'purchase' or proxy_id is not null);
-- A proxy's orders: its purchase (renewals look up its product) and its renewals (expiry follows them).
create index orders_by_proxy on orders (proxy_id) where proxy_id is not null;
