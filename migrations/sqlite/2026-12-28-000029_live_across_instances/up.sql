-- PostgreSQL notifies other instances of live news (LISTEN/NOTIFY); SQLite serves one
-- instance, whose poller hears its own news directly. The live-connection cap counts a
-- session's connections over every instance: each row names its session and when it opened.
ALTER TABLE presence ADD COLUMN session_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE presence ADD COLUMN opened_at TIMESTAMP NOT NULL DEFAULT '1970-01-01 00:00:00';
CREATE INDEX presence_session ON presence (session_hash);
