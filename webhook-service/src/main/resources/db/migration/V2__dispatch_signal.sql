-- New deliveries wake the dispatcher of every replica on commit (DeliveryDispatcher listens on
-- 'webhook_deliveries'; its 1 s sweep stays for retries that come due and as the safety net).
create function deliveries_notify() returns trigger language plpgsql as $$
begin
    perform pg_notify('webhook_deliveries', '');
    return null;
end $$;
create trigger deliveries_notify after insert on deliveries
    for each statement execute function deliveries_notify();
