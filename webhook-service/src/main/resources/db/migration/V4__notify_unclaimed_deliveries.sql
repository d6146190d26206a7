-- The fan-out claims the deliveries it creates in the same statement (attempts = 1, next_attempt_at pushed by
-- the lease; events/EventFanout) and the dispatcher starts them at once, so the wake-up of V2 is needed only for
-- rows left for the dispatcher's claim: pending with no attempt claimed yet (the fan-out's rows to a saturated
-- endpoint or a full replica, test/resend/replay rows, webhook.disabled). Skipped rows never wanted one. A
-- NOTIFY is not free: PostgreSQL serialises the commits of notifying transactions on one lock.
create or replace function deliveries_notify() returns trigger language plpgsql as $$
begin
    if exists (select 1 from new_deliveries where status = 'pending' and attempts = 0) then
        perform pg_notify('webhook_deliveries', '');
    end if;
    return null;
end $$;
drop trigger deliveries_notify on deliveries;
create trigger deliveries_notify after insert on deliveries referencing new table as new_deliveries
    for each statement execute function deliveries_notify();
