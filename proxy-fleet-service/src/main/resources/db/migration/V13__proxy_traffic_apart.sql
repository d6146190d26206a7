-- Traffic counters apart from the proxy row (docs/fleet.md "Heartbeats: one write per second"). The heartbeat
-- batch writes ~3,000 counter rows a second at 10,000 agents; on `proxies` each of those writes locked the
-- proxy's row until the batch committed (a reseller's fingerprint or disconnect waited up to ~140 ms behind
-- it in bench/fleet), rewrote the whole wide row, and any Hibernate update of a proxy wrote back the counters
-- it had loaded. Here a counter write touches a narrow row with one index, and nothing else waits on it.
create table proxy_traffic (
    proxy_id         bigint primary key references proxies (id),
    bytes_in         bigint not null default 0 check (bytes_in >= 0),
    bytes_out        bigint not null default 0 check (bytes_out >= 0),
    traffic_since_ms bigint,
    traffic_last_in  bigint not null default 0,
    traffic_last_out bigint not null default 0
) with (fillfactor = 70); -- room on the page for the next version of a row: updates stay HOT
insert into proxy_traffic (proxy_id, bytes_in, bytes_out, traffic_since_ms, traffic_last_in, traffic_last_out)
select id, bytes_in, bytes_out, traffic_since_ms, traffic_last_in, traffic_last_out from proxies
where bytes_in > 0 or bytes_out > 0 or traffic_since_ms is not null;
alter table proxies drop column bytes_in, drop column bytes_out, drop column traffic_since_ms,
    drop column traffic_last_in, drop column traffic_last_out;
