-- The operator's fleet lists, paged (GET /internal/modems and /internal/agents; docs/fleet.md "Operator API").
-- A modem's proxy_ids are its provisioning, active and offline proxies. No index held those by modem:
-- proxies_live_by_modem leaves offline out (placement counts only live ones), so the list read every proxy once
-- per modem: 5.8 s with bench/pay's 2,006 modems and ~18,000 proxies, 126 s with 32,006 modems and 48,000 proxies.
-- This index gives a page's modems their proxies in id order from the index alone.
create index proxies_held_by_modem on proxies (modem_id, id) where status in ('provisioning', 'active', 'offline');
-- ?location_id= pages in id order: without it a location's page sorted all of that location's modems
-- (29 ms for a page 10,500 modems deep at 32,006 modems, 6 ms with it; the total is an index-only count).
create index modems_by_location on modems (location_id, id);
