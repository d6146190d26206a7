-- The gateway's Idempotency-Key, carried to the service that writes (docs/api.md "Idempotency-Key", "What the
-- services keep"). The gateway stores an answer per key, but a request it gave up on (its 10 s upstream timeout, a
-- 503) may still finish here after it released the key, and the retry with the same key then ran again: a second
-- order (new-user review, stop 32, M1). Kept with the write, in its own transaction, the key makes the retry find
-- what the first request did.
--   idempotency_key      the key of the request that created the order: one order per reseller and key
--   pay_idempotency_key  the key of the latest pay of the order while it was pending; once paid, a pay with this key
--                        answers what the paying request answered (M2)
--   pay_new_balance      the balance right after the order's charge (billing's answer or charge.posted), for that answer
alter table orders add column idempotency_key text check (length(idempotency_key) between 1 and 255),
                   add column pay_idempotency_key text check (length(pay_idempotency_key) between 1 and 255),
                   add column pay_new_balance numeric(14, 2);
create unique index orders_by_idempotency_key on orders (reseller_id, idempotency_key) where idempotency_key is not null;
