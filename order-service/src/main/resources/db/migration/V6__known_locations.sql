-- The locations the fleet serves, as its location.updated events announce them (F12, docs/events.md
-- "Locations"): a purchase naming a location that is not here, or no longer active, is refused with 422 at
-- creation instead of being charged, failed by the fleet and refunded. Fed by KnownLocations (one row per
-- location, the event with the highest version wins); the fleet stays the owner, this is a read model.
-- Empty until the first event arrives: then every syntactically valid location is accepted and the fleet
-- judges it at placement, as before.
create table known_locations (
    id         text      primary key,
    name       text      not null,
    is_5g      boolean   not null,
    active     boolean   not null,
    version    bigint    not null,
    updated_at timestamp not null
);
