-- A proxy waiting for its ProvisionProxy command wakes the dispatcher of every replica on commit
-- (ProvisioningJob listens on 'proxy_dispatch'; its 1 s sweep stays as the safety net).
create function proxies_dispatch_notify() returns trigger language plpgsql as $$
begin
    perform pg_notify('proxy_dispatch', '');
    return null;
end $$;
create trigger proxies_dispatch_notify after insert or update of status on proxies
    for each row when (new.status = 'provisioning') execute function proxies_dispatch_notify();

-- The purchase's trace context, kept with the proxy so the events written from the agent's answer join it.
alter table proxies add column traceparent text;
