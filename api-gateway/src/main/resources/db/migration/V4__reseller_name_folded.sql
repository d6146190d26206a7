-- Reseller names are unique to an operator's eye: regardless of case AND of Unicode compatibility forms, so
-- "ＡＬＩＣＥ" (full-width) and "ａlice" are the same reseller as "alice" (new-user review, docs/api.md
-- "Reseller names"). The comparison key is NFKC (Unicode TR #15) then a full Unicode lower-case through ICU's root
-- collation: the cluster runs with the C locale (bin/stack initdb --no-locale), where lower() folds ASCII only.
-- Not unique: a database may already hold two names with one key; the create judges it under an advisory lock.
create index resellers_name_folded on resellers ((lower(normalize(name, NFKC) collate "und-x-icu")));
