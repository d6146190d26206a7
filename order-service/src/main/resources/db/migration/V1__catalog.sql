create table products (
    id          bigserial primary key,
    name        text    not null,
    description text    not null default '',
    active      boolean not null default true
);

create table pricings (
    id              bigserial primary key,
    product_id      bigint         not null references products (id),
    label           text           not null,
    price           numeric(14, 2) not null check (price > 0),
    period_type     text           not null check (period_type in ('hour', 'day', 'week', 'month')),
    period_duration integer        not null check (period_duration > 0),
    active          boolean        not null default true
);

-- The seed contract's examples: ids are part of what resellers' code uses.
insert into products (id, name, description)
values (1, 'Multi Hop Proxy', 'Premium multi-hop mobile proxy on real 4G/5G modems, dedicated to one customer.');
insert into pricings (id, product_id, label, price, period_type, period_duration)
values (1, 1, '1 Hour', 10.00, 'hour', 1),
       (2, 1, '24 Hour', 20.00, 'day', 1),
       (3, 1, 'Monthly', 225.00, 'month', 1);
select setval('products_id_seq', (select max(id) from products));
select setval('pricings_id_seq', (select max(id) from pricings));
