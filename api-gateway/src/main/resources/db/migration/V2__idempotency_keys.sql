-- Idempotency-Key (docs/api.md): one row per (reseller, key) while the key is remembered. A request
-- holds the row 'in_progress' under a lease (lease_token, lease_until); its answer makes the row
-- 'completed' and is replayed to every retry with the same request until expires_at (created_at + 24 h).
-- A 5xx or a failure deletes the row (the client may retry); a holder that died loses the row when its
-- lease ends. Rows past expires_at count as absent and are pruned in batches (IdempotencyStore.prune).
create table idempotency_keys (
    reseller_id           bigint    not null references resellers (id),
    idempotency_key       text      not null check (length(idempotency_key) between 1 and 255),
    -- SHA-256 of method, path and body: the same key with another request is refused (422)
    fingerprint           bytea     not null check (length(fingerprint) = 32),
    state                 text      not null check (state in ('in_progress', 'completed')),
    lease_token           uuid,
    lease_until           timestamp,
    response_status       integer   check (response_status between 200 and 499),
    response_content_type text,
    response_body         bytea,
    created_at            timestamp not null,
    expires_at            timestamp not null check (expires_at > created_at),
    primary key (reseller_id, idempotency_key),
    -- in progress: a holder and no answer; completed: an answer and no holder
    check ((state = 'in_progress' and lease_token is not null and lease_until is not null
            and response_status is null and response_body is null)
        or (state = 'completed' and lease_token is null and lease_until is null
            and response_status is not null and response_body is not null))
);
create index idempotency_keys_by_expiry on idempotency_keys (expires_at);
