-- The order lifecycle as data (issue 7): the same table as OrderStatus.TRANSITIONS, and a trigger that
-- refuses every other status change, so no code path (nor a hand-written UPDATE) can write an illegal one.
alter table orders drop constraint orders_status_check;
alter table orders add constraint orders_status_check check (status in
    ('pending_payment', 'paid', 'provisioning', 'active', 'expired', 'failed', 'cancelled'));

create table order_status_transitions (
    from_status text not null,
    to_status   text not null,
    primary key (from_status, to_status)
);
insert into order_status_transitions (from_status, to_status)
values ('pending_payment', 'paid'),
       ('pending_payment', 'cancelled'),
       ('paid', 'provisioning'),
       ('paid', 'active'),
       ('paid', 'expired'),
       ('paid', 'failed'),
       ('provisioning', 'active'),
       ('provisioning', 'expired'),
       ('provisioning', 'failed'),
       ('active', 'expired'),
       -- only a charge billing did post: a pay that started before the cancellation (OrderStatus)
       ('cancelled', 'paid');

create function orders_status_guard() returns trigger language plpgsql as $$
begin
    if tg_op = 'INSERT' then
        if new.status <> 'pending_payment' then
            raise exception 'a new order must be pending_payment, not %', new.status using errcode = 'check_violation';
        end if;
    elsif new.status is distinct from old.status and not exists (
            select 1 from order_status_transitions where from_status = old.status and to_status = new.status) then
        raise exception 'illegal order status change % -> % (order %)', old.status, new.status, old.id
            using errcode = 'check_violation';
    end if;
    return new;
end
$$;
create trigger orders_status_guard before insert or update of status on orders
    for each row execute function orders_status_guard();

-- The unpaid-order sweep reads the oldest pending orders first.
create index orders_pending_by_created on orders (created_at, id) where status = 'pending_payment';
