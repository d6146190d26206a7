-- An auto-renewal renews one expiry of its proxy once (docs/money.md "Renewals"; new-user review, 2026-12-02):
-- switching auto_renew off and on clears the fleet's checkpoint marks, so with two fleet replicas both asked
-- for a renewal of the same expiry 0.5 s apart, and the reseller was charged twice for one period they asked
-- for once. renews_expiry is the expiry a proxy.renewal_due asked to renew; a second live renewal of it is
-- refused here. A cancelled or failed one (refused for the balance, refunded) does not count: turning
-- auto-renew on again after a top-up must renew.
alter table orders add column renews_expiry timestamp;
alter table orders add constraint orders_renews_expiry_of_renewal check (renews_expiry is null or kind = 'renewal');
create unique index orders_auto_renewal_once on orders (proxy_id, renews_expiry)
    where renews_expiry is not null and status not in ('cancelled', 'failed');
