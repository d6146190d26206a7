-- Resets in flight, by modem (docs/fleet.md "Network changes: an exit IP no reset made"). A heartbeat or Hello that
-- reports a new exit IP for a modem announces it as proxy.ip_rotated (trigger network) unless a reset of that modem is
-- running: that run announces the new IP itself, from the right old IP. The check runs only for modems whose IP
-- changed; the index holds only the running rows (a handful), so it stays tiny however many proxies were ever reset.
create index proxy_rotations_rotating_by_modem on proxy_rotations (modem_id, give_up_at) where status = 'rotating';
