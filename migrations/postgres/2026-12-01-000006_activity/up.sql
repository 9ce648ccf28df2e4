-- Activity: filters and paging of the audit log stay on indexes at millions of events, its
-- search goes through a trigram index, and live connections are counted for presence.

-- Action type and date range filters (newest first within each).
CREATE INDEX audit_events_org_action ON audit_events (org_id, action, id);
CREATE INDEX audit_events_org_time ON audit_events (org_id, created_at, id);

-- Search: substring match over who, whom, from where and what changed (pg_trgm).
ALTER TABLE audit_events ADD COLUMN search_text TEXT
    GENERATED ALWAYS AS (lower(actor_label || ' ' || target_label || ' ' || ip || ' ' || details)) STORED;
CREATE INDEX audit_events_search_trgm ON audit_events USING gin (search_text gin_trgm_ops);

-- One row per open live connection (a console tab), beaten every few seconds by the instance
-- that holds it; a row not beaten for the stale window belongs to a vanished instance.
CREATE TABLE presence (
    connection_id TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL,
    org_id BIGINT NOT NULL,
    instance_id TEXT NOT NULL,
    last_beat TIMESTAMP NOT NULL
);
CREATE INDEX presence_user ON presence (user_id);
CREATE INDEX presence_org ON presence (org_id, user_id);
CREATE INDEX presence_instance ON presence (instance_id);
CREATE INDEX presence_beat ON presence (last_beat);
