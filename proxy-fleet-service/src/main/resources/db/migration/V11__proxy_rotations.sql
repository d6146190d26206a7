-- The latest IP rotation of each proxy (issue 8 item 5; docs/fleet.md "Long resets: 202"). A reset claims
-- the row (status 'rotating') under the proxy's row lock, so a second reset while one runs is a 409 on any
-- replica; the replica running it writes the outcome ('rotated' with new_ip, or 'failed' with the error) in
-- the transaction that also stores the new exit IP and proxy.ip_rotated. GET /proxies/{id} shows it as
-- "rotation". A row still 'rotating' after give_up_at was abandoned (its replica stopped mid-way): it blocks
-- nothing and reads as failed.
create table proxy_rotations (
    proxy_id      bigint    primary key references proxies (id) on delete cascade,
    rotation_id   text      not null, -- this run; an outcome is written only while the row is still this run's
    status        text      not null check (status in ('rotating', 'rotated', 'failed')),
    mode          text      not null check (mode in ('fast', 'hard')),
    applied_mode  text      check (applied_mode in ('fast', 'hard')),
    old_ip        text,
    new_ip        text,
    attempts      int       not null default 0,
    error_code    text,
    error_detail  text,
    replica_id    text      not null,
    started_at    timestamp not null,
    give_up_at    timestamp not null,
    finished_at   timestamp,
    -- the proxy's cooldown marks before this run claimed them: put back when no command reached the modem
    prev_reset_at      timestamp,
    prev_hard_reset_at timestamp,
    check ((status = 'rotating') = (finished_at is null)),
    check (status <> 'rotated' or new_ip is not null),
    check (status <> 'failed' or error_code is not null)
);
