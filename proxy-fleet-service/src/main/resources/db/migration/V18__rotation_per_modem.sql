-- The proxy's `rotation` (GET /proxies/{id}) describes resets of the modem it is on now (docs/fleet.md "What a
-- reseller sees after disconnect and connect"). A connect moves the proxy to another modem; its latest run row
-- stayed and was shown as if it were the new modem's. Each run now records the modem it reset, and the API shows
-- a run only while the proxy is on that modem: after a connect, `rotation` is null until the proxy's next reset
-- (and shows the old run again if a refused connect put the proxy back). Rows from before: the modem the proxy
-- is on now (which modem an older run reset is not recorded anywhere).
alter table proxy_rotations add column modem_id text;
update proxy_rotations r set modem_id = p.modem_id from proxies p where p.id = r.proxy_id;
alter table proxy_rotations alter column modem_id set not null;
