-- Modems an operator removed (docs/fleet.md "Removing a modem and adding a location"; new-user review 5, finding 9).
-- A modem an agent stopped announcing stayed in the operator's lists and in its location's modems and capacity
-- forever (offline, never placed on), so the console's load per location read 50 % for a location with no free
-- slot, and nothing could take it out. Rows are kept (proxies, expired ones included, refer to their modem): a
-- removed modem is marked, left out of every list and figure, and never placed on (it is offline); its agent
-- announcing it again in a Hello brings it back.
alter table modems add column removed_at timestamp;
