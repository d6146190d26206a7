-- Allocation counts each candidate modem's live proxies (ModemAllocator.pickModem). Without this index that
-- was a scan of every proxy per modem: 89 ms per allocation with 700 modems and 600 live proxies
-- (docs/benchmarks.md), and one reseller's allocations run one after another.
create index proxies_live_by_modem on proxies (modem_id) where status in ('provisioning', 'active');
