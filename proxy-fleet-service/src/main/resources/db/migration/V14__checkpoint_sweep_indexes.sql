-- The renewal checkpoint sweep (ProxyRenewals.sweep) runs every second on every replica. It looks for running
-- proxies (active, disconnected, offline: ProxyStatus.RUNNING) whose expiry has not been looked at since it
-- changed, or whose next checkpoint is due. Without an index for the first kind it read every running proxy
-- expiring within the longest checkpoint, each second: ~13 ms of PostgreSQL per sweep with ~3,000 running proxies
-- on the idle local stack (pg_stat_statements), growing with the fleet. Both kinds now have a partial index that
-- holds only the rows the sweep wants, so an idle sweep reads (almost) nothing. proxies_next_checkpoint left
-- offline proxies out of its predicate; it is replaced by one over all three running statuses.
create index proxies_unnoticed_expiry on proxies (expires_at)
    where status in ('active', 'disconnected', 'offline') and notice_expiry is distinct from expires_at;
drop index proxies_next_checkpoint;
create index proxies_next_checkpoint on proxies (next_checkpoint_at)
    where status in ('active', 'disconnected', 'offline') and next_checkpoint_at is not null;
