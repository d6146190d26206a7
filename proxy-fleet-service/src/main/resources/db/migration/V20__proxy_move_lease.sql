-- A connect (move to another modem) in flight, across replicas (docs/fleet.md "Connect while one runs"): the
-- placement and the new credentials commit before the agent opens the new listener, so the row alone did not
-- say that a move was still waiting for its agent. A second connect (or a disconnect, or a reset) then moved the
-- proxy again and the first connect still answered 200 with credentials nobody served (third new-user review,
-- finding 1). Set by the connect's placement transaction, cleared when its agent answered (or the move was put
-- back); a lease, so a replica that dies mid-move holds nothing for longer than the command can take.
alter table proxies add column moving_until timestamp;
