-- Issue 9: secret rotation, endpoint health (disable/enable), per-attempt history detail, resend/replay/test.

-- Rotation: for 24 h after POST /rotate-secret the previous secret signs beside the new one.
-- Health: failing_since = first failed attempt of the current run of failures (cleared by a success);
-- disabled_at set by a 410 or by failing for WEBHOOK_DISABLE_AFTER (5 days), cleared by POST /enable.
alter table webhooks
    add column previous_secret            text,
    add column previous_secret_expires_at timestamp,
    add column failing_since              timestamp,
    add column disabled_at                timestamp,
    add column disabled_reason            text;

-- A delivery is one message to one endpoint. 'event' rows come from the fan-out, once per (webhook, event);
-- 'resend', 'replay' and 'test' rows are made by the API and may repeat an event.
-- 'skipped': the endpoint was disabled when the event came (or while it waited); kept for replay.
alter table deliveries add column origin text not null default 'event';
alter table deliveries drop constraint deliveries_webhook_id_event_id_key;
create unique index deliveries_once_per_event on deliveries (webhook_id, event_id) where origin = 'event';
alter table deliveries drop constraint deliveries_status;
alter table deliveries add constraint deliveries_status
    check (status in ('pending', 'delivered', 'failed', 'cancelled', 'skipped'));
alter table deliveries add constraint deliveries_origin check (origin in ('event', 'resend', 'replay', 'test'));
create index deliveries_by_webhook on deliveries (webhook_id, created_at);

-- History: which event, how long the attempt took, the first 1 KiB of the answer.
alter table delivery_attempts
    add column event_id      uuid,
    add column duration_ms   integer,
    add column response_body text;
update delivery_attempts a set event_id = d.event_id from deliveries d where d.id = a.delivery_id;
