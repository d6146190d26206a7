-- The location a purchase asks for (issue 8, item 4): optional; the fleet places the proxy on a free modem
-- there (any location when null). Renewals keep their proxy where it is and carry none.
alter table orders add column location_id text check (location_id is null or length(location_id) between 1 and 32);
