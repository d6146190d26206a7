-- Wake the dispatchers only for a proxy nobody has claimed yet (docs/fleet.md "Cost per purchase"). The order.paid
-- consumer now claims a new proxy for dispatch in its own insert when its replica holds the agent's stream
-- (place_paid_order: command_sent_at set) and sends ProvisionProxy itself; a notification for that row would only
-- make every replica's dispatcher run its claim statement and find nothing (one transaction each). A row inserted
-- unclaimed (the agent's stream is on another replica, or on none) notifies as before.
drop trigger proxies_dispatch_notify on proxies;
create trigger proxies_dispatch_notify after insert or update of status on proxies
    for each row when (new.status = 'provisioning' and new.command_sent_at is null)
    execute function proxies_dispatch_notify();
