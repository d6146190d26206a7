-- What-if for (d): Ledger.post's statements, unchanged and in the same order, inside one PL/pgSQL function,
-- so a charge costs one round trip instead of five (plus BEGIN/COMMIT). Not billing's code: created only in
-- bench/pay's scratch database, to show how much of (b)'s cost is round trips rather than the triggers,
-- which fire here exactly as they do for (b).
create function bench_ledger_post(p_r bigint, p_kind text, p_amount numeric, p_ref text, p_desc text, p_order bigint,
                           p_origin text) returns numeric language plpgsql as $$
declare
    b numeric(14, 2);
    found_amount numeric(14, 2);
begin
    insert into accounts (reseller_id) values (p_r) on conflict do nothing;
    select balance into b from accounts where reseller_id = p_r for update;
    select amount into found_amount from ledger_entries where reseller_id = p_r and reference = p_ref;
    if found_amount is not null then
        return b;
    end if;
    if b + p_amount < 0 then
        raise exception 'Insufficient balance';
    end if;
    insert into ledger_entries (reseller_id, kind, amount, balance_after, reference, description, order_id, origin)
    values (p_r, p_kind, p_amount, b + p_amount, p_ref, p_desc, p_order, p_origin);
    update accounts set balance = b + p_amount, last_seq = last_seq + 1, updated_at = (now() at time zone 'utc')
     where reseller_id = p_r;
    return b + p_amount;
end $$;
