DROP INDEX presence_session;
ALTER TABLE presence DROP COLUMN opened_at;
ALTER TABLE presence DROP COLUMN session_hash;
