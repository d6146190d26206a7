-- A Hello's registration finds the agent's modems and its offline proxies by agent (AgentStore.register).
-- Without these each of them read every row: with 10,000 agents, 30,000 modems and 30,000 proxies a
-- reconnect storm spent ~25 ms of PostgreSQL per Hello in those two scans (bench/fleet, docs/fleet.md
-- "A Hello in one statement").
create index modems_by_agent on modems (agent_id);
create index proxies_offline_by_agent on proxies (agent_id) where status = 'offline';
