-- Webhooks: endpoints an organization registers for events, and the deliveries to them,
-- queued in the same transaction as the change (an outbox, like the mail's) and worked by
-- every instance, each delivery claimed by one.
CREATE TABLE webhooks (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    org_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    -- The events it wants, comma-separated (user.created, user.deactivated …).
    events TEXT NOT NULL,
    -- Signs each delivery (HMAC-SHA256): kept as is, since signing needs it.
    secret TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    -- The first failure of the current run of failures; a day of them pauses the endpoint.
    failing_since TIMESTAMP,
    paused_at TIMESTAMP
);
CREATE INDEX webhooks_org ON webhooks (org_id);

CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    webhook_id BIGINT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    -- One id per event, the same on every retry and every endpoint (receivers deduplicate).
    event_id TEXT NOT NULL,
    event TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    last_status INTEGER,
    last_response TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    delivered_at TIMESTAMP
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (webhook_id, id);
