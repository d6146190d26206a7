-- Which stream of an agent the row describes (static review, stop 27, L1 and L2). An agent reconnecting to the same
-- replica could have its old stream's end written after the new stream's Hello: `connected` and `replica_id` were
-- cleared although the new stream was open (the end's update matched "replica_id = this replica"), and for up to a
-- heartbeat (10 s) the agent got no commands, forwarded calls answered 503 and placement passed it over. The
-- mirror case: a heartbeat batch of a replica whose half-open stream was still its current one set `replica_id`
-- back to it after the agent's Hello on another replica. Each stream now has an id, written by its Hello; a stream's
-- end and a heartbeat batch change `connected` and `replica_id` only while the row still names their stream.
alter table agents add column stream_id uuid;
