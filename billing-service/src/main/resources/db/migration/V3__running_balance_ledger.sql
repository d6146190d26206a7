-- Issue 7, "Ledger": posting cost independent of the history's length (docs/money.md).
--
-- V1 checked "balance = sum of the ledger" with deferred triggers that re-summed the reseller's whole ledger
-- twice per posting. Here every entry gets a per-account sequence number (seq = 1, 2, 3, ...) and the account
-- row remembers the last one (accounts.last_seq), as TigerBeetle keeps running totals on the account. Three
-- O(1) rules then imply the invariant by induction (balance = sum of entries = last entry's balance_after):
--   1. an entry takes seq = accounts.last_seq + 1 (unique per account) and must have
--      balance_after = accounts.balance + amount (the account row is locked first);
--   2. the account's balance only moves together with last_seq, by exactly one step, to the balance_after of
--      the entry with that seq;
--   3. at commit, every inserted entry has been taken up by its account (accounts.last_seq >= seq).
-- A scheduled check (LedgerCheck) still re-sums everything, every few minutes, off the posting path.
-- Also: kind 'adjustment' (operator corrections, either sign), order_id on entries, and the entry's origin.

-- The whole-ledger sums go.
drop trigger accounts_balance_equals_ledger_sum on accounts;
drop trigger ledger_entries_balance_equals_ledger_sum on ledger_entries;
drop function balance_equals_ledger_sum();
drop trigger ledger_entries_continue_chain on ledger_entries;
drop function ledger_entry_continues_chain();

alter table accounts add column last_seq bigint not null default 0 check (last_seq >= 0);

alter table ledger_entries
    add column seq      bigint,
    -- The order an entry belongs to (a charge, its refund); null for top-ups, adjustments and entries of
    -- charges made without one.
    add column order_id bigint check (order_id > 0),
    -- Which path posted the entry; null for entries older than this migration.
    add column origin   text check (origin in ('charge-api', 'topup-api', 'refund-api', 'provision-failed', 'adjustment-api'));

-- Back-fill seq, last_seq and order_id for the existing history (the only edit an entry ever gets, here,
-- with the immutability trigger off for this transaction's statements).
alter table ledger_entries disable trigger ledger_entries_no_update_or_delete;
update ledger_entries e set seq = numbered.seq
  from (select id, row_number() over (partition by reseller_id order by id) as seq from ledger_entries) numbered
 where numbered.id = e.id;
-- order-service's references have been 'order:<id>' from the start (RefundService relies on it too).
update ledger_entries set order_id = nullif(substring(reference from '^order:([0-9]{1,18})$')::bigint, 0)
 where kind = 'charge' and reference ~ '^order:[0-9]{1,18}$';
update ledger_entries set order_id = nullif(substring(reference from '^refund:order:([0-9]{1,18})$')::bigint, 0)
 where kind = 'refund' and reference ~ '^refund:order:[0-9]{1,18}$';
alter table ledger_entries enable trigger ledger_entries_no_update_or_delete;

update accounts a set last_seq = counted.n
  from (select reseller_id, count(*) as n from ledger_entries group by reseller_id) counted
 where counted.reseller_id = a.reseller_id;

alter table ledger_entries alter column seq set not null;
alter table ledger_entries add constraint ledger_entries_seq_positive check (seq > 0);
alter table ledger_entries add constraint ledger_entries_seq_once unique (reseller_id, seq);
-- (reseller_id, seq) now serves the history in order; the V1 index on (reseller_id, id) is redundant.
drop index ledger_entries_by_reseller;

alter table ledger_entries drop constraint ledger_entries_kind_check;
alter table ledger_entries add constraint ledger_entries_kind_check
    check (kind in ('topup', 'charge', 'refund', 'adjustment'));
alter table ledger_entries drop constraint ledger_entries_sign_matches_kind;
alter table ledger_entries add constraint ledger_entries_sign_matches_kind check (
    (kind = 'charge' and amount < 0) or (kind in ('topup', 'refund') and amount > 0)
    or (kind = 'adjustment' and amount <> 0));

-- Rule 1: the entry continues its account. O(1): one locked primary-key read.
create function ledger_entry_continues_account() returns trigger
language plpgsql as $$
declare
    account_balance  numeric(14, 2);
    account_last_seq bigint;
begin
    select balance, last_seq into account_balance, account_last_seq
      from accounts where reseller_id = new.reseller_id for update;
    if not found then
        raise exception 'ledger entry % names no account %', new.reference, new.reseller_id
            using errcode = 'foreign_key_violation';
    end if;
    new.seq := account_last_seq + 1;
    if new.balance_after <> account_balance + new.amount then
        raise exception 'ledger entry % of reseller % breaks the chain: % + % <> %', new.reference,
            new.reseller_id, account_balance, new.amount, new.balance_after using errcode = 'check_violation';
    end if;
    return new;
end
$$;

create trigger ledger_entries_continue_account
    before insert on ledger_entries
    for each row execute function ledger_entry_continues_account();

-- Rule 2: a balance moves only to the next entry's balance_after. O(1): one unique-index read.
create function account_follows_ledger() returns trigger
language plpgsql as $$
declare
    entry_balance_after numeric(14, 2);
begin
    if tg_op = 'INSERT' then
        if new.balance <> 0 or new.last_seq <> 0 then
            raise exception 'account % must start at 0 with no entries', new.reseller_id
                using errcode = 'check_violation';
        end if;
        return new;
    end if;
    if new.reseller_id <> old.reseller_id then
        raise exception 'accounts.reseller_id cannot change' using errcode = 'check_violation';
    end if;
    if new.balance = old.balance and new.last_seq = old.last_seq then
        return new;
    end if;
    if new.last_seq <> old.last_seq + 1 then
        raise exception 'balance of reseller % may only move one ledger entry at a time (last_seq % -> %)',
            new.reseller_id, old.last_seq, new.last_seq using errcode = 'check_violation';
    end if;
    select balance_after into entry_balance_after
      from ledger_entries where reseller_id = new.reseller_id and seq = new.last_seq;
    if entry_balance_after is distinct from new.balance then
        raise exception 'balance of reseller % set to % but ledger entry % says %', new.reseller_id,
            new.balance, new.last_seq, entry_balance_after using errcode = 'check_violation';
    end if;
    return new;
end
$$;

create trigger accounts_follow_ledger
    before insert or update on accounts
    for each row execute function account_follows_ledger();

-- Rule 3: no entry is left behind by its account. O(1): one primary-key read at commit.
create function ledger_entry_taken_up() returns trigger
language plpgsql as $$
declare
    account_last_seq bigint;
begin
    select last_seq into account_last_seq from accounts where reseller_id = new.reseller_id;
    if account_last_seq is null or account_last_seq < new.seq then
        raise exception 'ledger entry % of reseller % was not posted to its account', new.reference,
            new.reseller_id using errcode = 'check_violation';
    end if;
    return null;
end
$$;

create constraint trigger ledger_entries_taken_up
    after insert on ledger_entries
    deferrable initially deferred
    for each row execute function ledger_entry_taken_up();
