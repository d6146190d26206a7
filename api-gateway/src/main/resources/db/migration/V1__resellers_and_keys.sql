create table resellers (
    id         bigserial primary key,
    name       text      not null unique,
    created_at timestamp not null
);

-- Keys are shown once, at creation; only their SHA-256 is kept (they carry 192 random bits, so a fast
-- hash is enough: there is nothing to brute-force). key_prefix lets a person recognise a key.
create table api_keys (
    id           bigserial primary key,
    reseller_id  bigint    not null references resellers (id),
    name         text      not null,
    key_prefix   text      not null,
    key_hash     text      not null unique,
    created_at   timestamp not null,
    last_used_at timestamp,
    revoked_at   timestamp
);
create index api_keys_by_reseller on api_keys (reseller_id) where revoked_at is null;
