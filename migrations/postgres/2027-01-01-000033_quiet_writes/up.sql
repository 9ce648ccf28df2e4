-- The outbox's urgent mail (sign-in codes, resets, invitations) is found through an index in
-- due order, like the rest: the worker no longer sorts the whole backlog for each claim.
CREATE INDEX email_outbox_due_kind ON email_outbox (status, kind, next_attempt_at);
