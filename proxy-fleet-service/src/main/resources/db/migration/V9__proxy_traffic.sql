-- Per-proxy traffic (issue 8, item 2/5): the agent reports each listener's running totals in heartbeats
-- (agent.proto ProxyTraffic); bytes_in/bytes_out add up what it reported across restarts of its counters.
-- traffic_since_ms/traffic_last_*: the counting start and totals last seen, to add only the difference.
alter table proxies add column bytes_in bigint not null default 0 check (bytes_in >= 0);
alter table proxies add column bytes_out bigint not null default 0 check (bytes_out >= 0);
alter table proxies add column traffic_since_ms bigint;
alter table proxies add column traffic_last_in bigint not null default 0;
alter table proxies add column traffic_last_out bigint not null default 0;
