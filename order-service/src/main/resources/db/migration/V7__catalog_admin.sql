-- Operators edit the catalog (F9, docs/operations.md "The catalog"): add products and pricing tiers, change a
-- price or a name, retire (active = false) and re-activate. Names are unique ignoring case, so an operator's
-- retried create is a 409 naming the existing row instead of a second product; tier labels likewise within a
-- product. Prices change in place: orders keep the amount they were created with (orders.amount_usd, V2).
create unique index products_name_key on products (lower(name));
create unique index pricings_label_key on pricings (product_id, lower(label));
