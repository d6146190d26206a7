-- bench/pay's fleet as pick_placement sees it (bench/placement/run): one agent with 2,006 modems of capacity 8
-- in three locations and a port for every slot (bench/pay/pay.py: AGENT_MODEMS, --modem-capacity,
-- AGENT_PORT_RANGE_*), :live live proxies placed as the rule places them (one per modem, in modem id order, before
-- any gets a second) on ports scattered over the lowest 2 x :live ports of the range (a day of purchases and
-- expiries leaves the live ports apart), and :history expired proxies.
insert into agents (id, public_host, port_range_start, port_range_end, agent_version, connected, last_seen_at)
values ('agent-local-1', '127.0.0.1', 20000, 36047, 'bench', true, (now() at time zone 'utc') + interval '1 day');
-- its stream held by a live replica, as placement requires (docs/fleet.md "Who is connected")
insert into fleet_replicas (id, url, lease_until) values ('bench', 'http://127.0.0.1:1', (now() at time zone 'utc') + interval '1 day');
update agents set replica_id = 'bench';
insert into modems (id, agent_id, modem_id, location_id, is_5g, exit_ip, capacity, updated_at)
select 'agent-local-1/bench-' || lpad(i::text, 4, '0'), 'agent-local-1', 'bench-' || lpad(i::text, 4, '0'),
       (array['LAX', 'NYC', 'MIA'])[1 + i % 3], false, '198.51.100.1', 8, now() at time zone 'utc'
from generate_series(1, 2006) i;
with ms as (select id, location_id, row_number() over (order by id) - 1 as k from modems),
     ports as (select 20000 + g as port, row_number() over (order by random()) - 1 as j
               from generate_series(0, greatest(2 * :live, 1) - 1) g)
insert into proxies (reseller_id, order_id, name, modem_id, agent_id, location_id, ip, port, username, password,
                     status, period_type, period_duration, created_at, updated_at, activated_at, expires_at)
select 1, 1000000 + ports.j, 'bench', ms.id, 'agent-local-1', ms.location_id, '127.0.0.1', ports.port, 'u', 'p',
       'active', 'hour', 1, now(), now(), now(), now() + interval '1 hour'
from ports join ms on ms.k = ports.j % 2006
where ports.j < :live;
with ms as (select id, location_id, row_number() over (order by id) - 1 as k from modems)
insert into proxies (reseller_id, order_id, name, modem_id, agent_id, location_id, ip, port, username, password,
                     status, period_type, period_duration, created_at, updated_at, activated_at, expires_at)
select 1, 5000000 + i, 'bench', ms.id, 'agent-local-1', ms.location_id, '127.0.0.1', 20000 + i % 16048, 'u', 'p',
       'expired', 'hour', 1, now(), now(), now(), now()
from generate_series(1, :history) i join ms on ms.k = i % 2006;
vacuum analyze agents, modems, proxies;
select to_regclass('free_ports') is not null as has_free_ports \gset
\if :has_free_ports
analyze free_ports;
\endif
