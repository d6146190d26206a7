-- Two fleet replicas (issue 8, item 7; docs/fleet.md "Two replicas"): each replica keeps a row here with
-- its internal HTTP address, renewed on a lease; an agent names the replica holding its stream. A command
-- for an agent whose stream is elsewhere is forwarded to that replica's address while its lease lives; a
-- crashed replica's claims die with its lease.
create table fleet_replicas (
    id          text primary key,
    url         text      not null,
    lease_until timestamp not null
);
alter table agents add column replica_id text;
