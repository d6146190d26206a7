-- The reset cooldowns belong to the modem (docs/fleet.md "Verified rotation", "Cooldowns per modem"; new-user
-- review 32, M3b). They were kept on the proxy (V6), but since a modem's capacity is an operator setting several
-- proxies, of different resellers too, can share one modem, and resetting any of them changes the exit IP of every
-- one: two hard resets 11 s apart through two proxies of one modem both passed. A reset now claims its slot by
-- moving the modem's marks, under the modem's row lock (taken after the proxy's, as a connect's placement takes them).
alter table modems add column last_reset_at timestamp;
alter table modems add column last_hard_reset_at timestamp;

-- The marks so far, for a reset right after the upgrade: the latest of the proxies on the modem now and of those
-- whose latest run reset it (proxy_rotations.modem_id). A proxy's mark may come from a modem it left, so this errs
-- towards waiting, for at most one cooldown (5 min).
update modems m set last_reset_at = k.last_reset_at, last_hard_reset_at = k.last_hard_reset_at
from (select c.modem_id, max(c.last_reset_at) as last_reset_at, max(c.last_hard_reset_at) as last_hard_reset_at
      from (select p.modem_id, p.last_reset_at, p.last_hard_reset_at from proxies p
            union all
            select r.modem_id, p.last_reset_at, p.last_hard_reset_at
            from proxy_rotations r join proxies p on p.id = r.proxy_id) c
      group by c.modem_id) k
where m.id = k.modem_id and (k.last_reset_at is not null or k.last_hard_reset_at is not null);

-- proxy_rotations.prev_reset_at and prev_hard_reset_at now hold the modem's marks as the run found them (put back
-- when the reset certainly did not run: docs/fleet.md "Cooldown given back").
comment on column proxy_rotations.prev_reset_at is 'the modem''s last_reset_at before this run claimed it (V28)';
comment on column proxy_rotations.prev_hard_reset_at is 'the modem''s last_hard_reset_at before this run claimed it (V28)';

-- proxies.last_reset_at and last_hard_reset_at no longer count for anything. They stay for the replicas of the
-- previous release during a rolling update, whose entity maps them (docs/operations.md "Rolling updates and the
-- fleet's schema"), and go with a later migration (with the new entity's mapping of them: Proxy.java).
comment on column proxies.last_reset_at is 'unused since V28 (the modem''s last_reset_at); dropped later';
comment on column proxies.last_hard_reset_at is 'unused since V28 (the modem''s last_hard_reset_at); dropped later';
