-- The gateway's Idempotency-Key, carried to the service that writes (docs/api.md "Idempotency-Key", "What the
-- services keep"): a registration the gateway gave up on (its 10 s upstream timeout, a 503) may still finish here
-- after the gateway released the key, and the retry with the same key then made a second endpoint with a secret
-- nobody saw, which signed a second copy of every event (new-user review, stop 32, M1). One webhook per reseller and
-- key; a retry answers the webhook the key made.
alter table webhooks add column idempotency_key text check (length(idempotency_key) between 1 and 255);
create unique index webhooks_by_idempotency_key on webhooks (reseller_id, idempotency_key) where idempotency_key is not null;
