-- Refunds are posted from order.failed (order-service's decision) instead of proxy.provision_failed:
-- a new origin. 'provision-failed' stays allowed: entries are immutable and older refunds keep it.
alter table ledger_entries drop constraint ledger_entries_origin_check;
alter table ledger_entries add constraint ledger_entries_origin_check
    check (origin in ('charge-api', 'topup-api', 'refund-api', 'provision-failed', 'order-failed', 'adjustment-api'));
