-- The dispatcher's claim finds work per endpoint (DeliveryStore.claimDue, docs/webhooks.md "Isolation"): it walks
-- the endpoints that have pending deliveries (one probe of this index per endpoint: the next webhook_id) and reads
-- each open endpoint's oldest due rows (one range of it, at most its free slots). Before, the claim read the 2,000
-- oldest due rows of all endpoints through deliveries_due, so a few slow endpoints with more due rows than that
-- kept every other endpoint's retries, tests, resends and replays waiting until their backlog drained (hostile
-- review, HIGH). Replay's "one pending delivery per event and endpoint" reads this index's webhook_id range too.
-- Partial like deliveries_due: only pending rows, a small part of the table once delivered rows pile up.
-- Not built concurrently: Flyway holds its lock in an open transaction on PostgreSQL, for which CREATE INDEX
-- CONCURRENTLY waits forever (the first start hung at this version). Only pending rows are indexed, but the build
-- reads the whole table and holds writes to deliveries until it ends: seconds per few million rows.
-- deliveries_due is no longer read by this release; it is dropped one release later (the previous release's
-- replicas still claim through it during the rollout).
create index deliveries_pending_by_webhook
    on deliveries (webhook_id, next_attempt_at, id) where status = 'pending';
