DROP INDEX presence_session;
ALTER TABLE presence DROP COLUMN opened_at;
ALTER TABLE presence DROP COLUMN session_hash;
DROP TRIGGER presence_live ON presence;
DROP TRIGGER audit_events_live ON audit_events;
DROP FUNCTION gatehouse_live_notify();
