-- Live updates cross instances at once: a new audit event, or a live connection opened or
-- closed, notifies channel `gatehouse_live` when its transaction commits (once per statement;
-- PostgreSQL folds a transaction's identical notices into one). Every instance listens and
-- reads the news on its next tick instead of at its next poll, which stays as the catch-up.
CREATE FUNCTION gatehouse_live_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('gatehouse_live', '');
    RETURN NULL;
END
$$;
CREATE TRIGGER audit_events_live AFTER INSERT ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_live_notify();
CREATE TRIGGER presence_live AFTER INSERT OR DELETE ON presence
    FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_live_notify();

-- The live-connection cap holds per session over every instance: each row names its session
-- (hashed, as `sessions.id_hash`) and when it opened, so the poller finds the session's
-- connections beyond the cap wherever they are held.
ALTER TABLE presence ADD COLUMN session_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE presence ADD COLUMN opened_at TIMESTAMP NOT NULL DEFAULT '1970-01-01 00:00:00';
CREATE INDEX presence_session ON presence (session_hash);
