-- The outbox's urgent mail (sign-in codes, resets, invitations) is found through an index in
-- due order, like the rest: the worker no longer sorts the whole backlog for each claim.
CREATE INDEX email_outbox_due_kind ON email_outbox (status, kind, next_attempt_at);

-- A save that leaves the search text as it was (a phone number changed) no longer rewrites
-- the user's entry in the trigram index.
DROP TRIGGER users_fts_update;
CREATE TRIGGER users_fts_update AFTER UPDATE OF search_text ON users
WHEN OLD.search_text IS NOT NEW.search_text
BEGIN
    INSERT INTO users_fts (users_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
    INSERT INTO users_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;
