-- Issue 7, "Cost": a posting in one round trip (docs/money.md "Posting", docs/benchmarks.md "bench/pay").
--
-- Ledger.post used to send five statements (insert the account if missing, lock it, look the reference up,
-- insert the entry, move the account), each a round trip with its own parse, bind and wake-ups: bench/pay
-- measured that at 0.2-0.37x the tps of a minimal debit, and the same statements inside one function at
-- 0.73x. This function is those statements, in the same order and under the same lock; V3's triggers and
-- checks still guard every row it writes, so nothing here is trusted more than the Java code was.
--
-- Outcomes (first column):
--   'posted'       the entry was appended; balance = the account's balance after it;
--   'replayed'     the reference was already posted; kind/amount/order_id/origin are the EARLIER entry's
--                  and balance the account's current one (the caller compares them with what it asked);
--   'insufficient' the debit would make the balance negative: nothing written;
--   'too_large'    the balance would pass p_max_balance (numeric(14,2)'s ceiling): nothing written.
-- A refusal writes nothing but possibly the empty account row (balance 0, last_seq 0), which is harmless
-- and is what the next posting would create anyway.
create function ledger_post(p_reseller_id bigint, p_kind text, p_amount numeric, p_reference text,
                            p_description text, p_order_id bigint, p_origin text, p_max_balance numeric)
returns table (outcome text, entry_kind text, entry_amount numeric, entry_order_id bigint, entry_origin text,
               balance numeric)
language plpgsql as $$
declare
    v_balance numeric(14, 2);
    v_after   numeric; -- unconstrained: an overflow is refused below, not raised by the assignment
    v_entry   record;
begin
    -- Lock first: every posting for this reseller waits here, so the balance read stays true until commit.
    select a.balance into v_balance from accounts a where a.reseller_id = p_reseller_id for update;
    if not found then
        -- concurrent first postings agree on one row; the loser waits for the winner's commit
        insert into accounts (reseller_id) values (p_reseller_id) on conflict do nothing;
        select a.balance into v_balance from accounts a where a.reseller_id = p_reseller_id for update;
    end if;

    select e.kind, e.amount, e.order_id, e.origin into v_entry
      from ledger_entries e where e.reseller_id = p_reseller_id and e.reference = p_reference;
    if found then
        return query select 'replayed'::text, v_entry.kind, v_entry.amount, v_entry.order_id, v_entry.origin,
                            v_balance::numeric;
        return;
    end if;

    v_after := v_balance + p_amount;
    if v_after < 0 then
        return query select 'insufficient'::text, p_kind, p_amount, p_order_id, p_origin, v_balance::numeric;
        return;
    end if;
    if v_after > p_max_balance then
        return query select 'too_large'::text, p_kind, p_amount, p_order_id, p_origin, v_balance::numeric;
        return;
    end if;

    -- seq is assigned by V3's trigger (last_seq + 1), which also checks balance_after = balance + amount
    insert into ledger_entries (reseller_id, kind, amount, balance_after, reference, description, order_id, origin)
    values (p_reseller_id, p_kind, p_amount, v_after, p_reference, p_description, p_order_id, p_origin);
    update accounts set balance = v_after, last_seq = last_seq + 1, updated_at = (now() at time zone 'utc')
     where reseller_id = p_reseller_id;
    return query select 'posted'::text, p_kind, p_amount, p_order_id, p_origin, v_after::numeric;
end
$$;
