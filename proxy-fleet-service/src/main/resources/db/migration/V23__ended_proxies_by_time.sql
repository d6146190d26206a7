-- EndedReleases reads the proxies ended in the last minute on the agents a replica holds, at each proxy_ended
-- notification (docs/fleet.md "Releases without a caller"): through this index, not every ended proxy ever.
create index proxies_ended_by_time on proxies (updated_at) where status in ('expired', 'failed');
