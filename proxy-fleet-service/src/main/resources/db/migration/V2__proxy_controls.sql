-- A reseller can disconnect a proxy from its modem (the paid period keeps running) and connect it again,
-- and choose the browser fingerprint profile its traffic presents.
alter table proxies drop constraint proxies_status_check;
alter table proxies add constraint proxies_status_check
    check (status in ('provisioning', 'active', 'disconnected', 'failed', 'expired'));
alter table proxies add column fingerprint text not null default 'none'
    check (fingerprint in ('none', 'linux', 'macos', 'windows'));
drop index proxies_active_expiry;
create index proxies_running_expiry on proxies (expires_at) where status in ('active', 'disconnected');
