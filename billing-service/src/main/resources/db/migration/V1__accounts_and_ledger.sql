-- Balances and the immutable ledger. The application posts every movement of money in one transaction
-- (lock the account row, check, update the balance, insert the entry); the database enforces the same
-- rules again, so a bug or a hand-written statement cannot make money appear or disappear.

create table accounts (
    reseller_id bigint primary key check (reseller_id > 0),
    balance     numeric(14, 2) not null default 0 check (balance >= 0),
    currency    text not null default 'USD' check (currency = 'USD'),
    created_at  timestamp not null default (now() at time zone 'utc'),
    updated_at  timestamp not null default (now() at time zone 'utc')
);

create table ledger_entries (
    id            bigserial primary key,
    reseller_id   bigint not null references accounts (reseller_id),
    kind          text not null check (kind in ('topup', 'charge', 'refund')),
    -- Signed: credits (topup, refund) are positive, debits (charge) negative.
    amount        numeric(14, 2) not null,
    balance_after numeric(14, 2) not null check (balance_after >= 0),
    -- The idempotency key of the movement: 'order:42', 'topup:dep-1', 'refund:order:42'.
    reference     text not null check (length(reference) between 1 and 200),
    description   text,
    created_at    timestamp not null default (now() at time zone 'utc'),
    constraint ledger_entries_reference_once unique (reseller_id, reference),
    constraint ledger_entries_sign_matches_kind check (
        (kind = 'charge' and amount < 0) or (kind in ('topup', 'refund') and amount > 0))
);

-- History of one reseller in posting order (and the "previous entry" lookup below).
create index ledger_entries_by_reseller on ledger_entries (reseller_id, id);

-- Entries are facts: a mistake is corrected by a new entry, never by editing or deleting an old one.
create function ledger_entries_are_immutable() returns trigger
language plpgsql as $$
begin
    raise exception 'ledger_entries are immutable (% refused)', tg_op using errcode = 'insufficient_privilege';
end
$$;

create trigger ledger_entries_no_update_or_delete
    before update or delete on ledger_entries
    for each row execute function ledger_entries_are_immutable();

create trigger ledger_entries_no_truncate
    before truncate on ledger_entries
    for each statement execute function ledger_entries_are_immutable();

-- Each entry continues the reseller's chain: balance_after = previous balance_after + amount. The account
-- row is locked first, so concurrent postings for one reseller are serialized even if a writer forgot to.
create function ledger_entry_continues_chain() returns trigger
language plpgsql as $$
declare
    previous_balance numeric(14, 2);
begin
    perform 1 from accounts where reseller_id = new.reseller_id for update;
    select balance_after into previous_balance
      from ledger_entries where reseller_id = new.reseller_id order by id desc limit 1;
    if new.balance_after <> coalesce(previous_balance, 0) + new.amount then
        raise exception 'ledger entry % of reseller % breaks the chain: % + % <> %', new.reference,
            new.reseller_id, coalesce(previous_balance, 0), new.amount, new.balance_after
            using errcode = 'check_violation';
    end if;
    return new;
end
$$;

create trigger ledger_entries_continue_chain
    before insert on ledger_entries
    for each row execute function ledger_entry_continues_chain();

-- The invariant itself, checked when the transaction commits (after both the balance update and the
-- entry insert): an account's balance is exactly the sum of its ledger.
create function balance_equals_ledger_sum() returns trigger
language plpgsql as $$
declare
    account_balance numeric(14, 2);
    ledger_sum      numeric(14, 2);
begin
    select balance into account_balance from accounts where reseller_id = new.reseller_id;
    select coalesce(sum(amount), 0) into ledger_sum from ledger_entries where reseller_id = new.reseller_id;
    if account_balance is distinct from ledger_sum then
        raise exception 'balance of reseller % is % but its ledger sums to %', new.reseller_id,
            account_balance, ledger_sum using errcode = 'check_violation';
    end if;
    return null;
end
$$;

create constraint trigger accounts_balance_equals_ledger_sum
    after insert or update on accounts
    deferrable initially deferred
    for each row execute function balance_equals_ledger_sum();

create constraint trigger ledger_entries_balance_equals_ledger_sum
    after insert on ledger_entries
    deferrable initially deferred
    for each row execute function balance_equals_ledger_sum();

-- Idempotent consumers: an event's effect and its row here commit together (contracts' Inbox).
create table processed_events (
    event_id     uuid not null,
    handler      text not null,
    processed_at timestamp not null default (now() at time zone 'utc'),
    primary key (event_id, handler)
);
