-- Verified IP rotation (issue 8, docs/fleet.md "Verified rotation"): when the proxy's modem was last reset,
-- and last hard-reset, for the cooldowns (a reset claims its slot by moving these first).
alter table proxies add column last_reset_at timestamp;
alter table proxies add column last_hard_reset_at timestamp;
