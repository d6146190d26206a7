-- Every gateway replica caches key -> reseller for up to 2 s (auth.ApiKeyAuthenticator); a revocation
-- notifies them all on commit so they drop the cache at once (docs/api.md, "API keys").
create or replace function api_keys_revoked_notify() returns trigger language plpgsql as $$
begin
    perform pg_notify('api_keys_revoked', '');
    return null;
end $$;

create trigger api_keys_revoked_notify
    after update of revoked_at on api_keys
    for each statement execute function api_keys_revoked_notify();
