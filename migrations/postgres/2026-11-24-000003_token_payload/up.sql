-- What a token stands for when no user row exists yet (a sign-up waiting for its email check).
ALTER TABLE tokens ADD COLUMN payload TEXT NOT NULL DEFAULT '';
