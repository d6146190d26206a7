-- Offline detection (issue 8, item 6; docs/fleet.md "Offline detection"): a proxy whose agent has not been
-- heard from within the heartbeat timeout is 'offline' (its period runs on, it keeps its port and
-- credentials) and is 'active' again when the agent says Hello.
alter table proxies drop constraint proxies_status_check;
alter table proxies add constraint proxies_status_check
    check (status in ('provisioning', 'active', 'disconnected', 'offline', 'failed', 'expired'));
drop index proxies_running_expiry;
create index proxies_running_expiry on proxies (expires_at) where status in ('active', 'disconnected', 'offline');
drop index proxies_next_checkpoint;
create index proxies_next_checkpoint on proxies (next_checkpoint_at)
    where status in ('active', 'disconnected', 'offline') and next_checkpoint_at is not null;
-- The liveness sweep looks for active proxies by agent.
create index proxies_active_by_agent on proxies (agent_id) where status = 'active';
