-- Activity: filters and paging of the audit log stay on indexes at millions of events, its
-- search goes through a trigram index, and live connections are counted for presence.

-- Action type and date range filters (newest first within each).
CREATE INDEX audit_events_org_action ON audit_events (org_id, action, id);
CREATE INDEX audit_events_org_time ON audit_events (org_id, created_at, id);

-- Search: substring match over who, whom, from where and what changed. Contentless (the text
-- is computed by the triggers), so the events table keeps no copy of it.
CREATE VIRTUAL TABLE audit_fts USING fts5 (search_text, content = '', tokenize = 'trigram');
CREATE TRIGGER audit_fts_insert AFTER INSERT ON audit_events BEGIN
    INSERT INTO audit_fts (rowid, search_text)
    VALUES (new.id, lower(new.actor_label || ' ' || new.target_label || ' ' || new.ip || ' ' || new.details));
END;
CREATE TRIGGER audit_fts_delete AFTER DELETE ON audit_events BEGIN
    INSERT INTO audit_fts (audit_fts, rowid, search_text)
    VALUES ('delete', old.id, lower(old.actor_label || ' ' || old.target_label || ' ' || old.ip || ' ' || old.details));
END;
INSERT INTO audit_fts (rowid, search_text)
SELECT id, lower(actor_label || ' ' || target_label || ' ' || ip || ' ' || details) FROM audit_events;

-- One row per open live connection (a console tab), beaten every few seconds by the instance
-- that holds it; a row not beaten for the stale window belongs to a vanished instance.
CREATE TABLE presence (
    connection_id TEXT PRIMARY KEY NOT NULL,
    user_id BIGINT NOT NULL,
    org_id BIGINT NOT NULL,
    instance_id TEXT NOT NULL,
    last_beat TIMESTAMP NOT NULL
);
CREATE INDEX presence_user ON presence (user_id);
CREATE INDEX presence_org ON presence (org_id, user_id);
CREATE INDEX presence_instance ON presence (instance_id);
CREATE INDEX presence_beat ON presence (last_beat);
