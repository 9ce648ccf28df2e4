-- Scoped administration: a person whose administration is limited to some divisions and
-- teams sees and acts on only the people in them. No rows: the whole organization.
--
-- The unit is not a foreign key on purpose: deleting a division or team leaves its rows
-- matching nobody, so a scope only ever narrows (it never falls back to "everyone").
CREATE TABLE admin_scopes (
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('division', 'team')),
    unit_id BIGINT NOT NULL,
    PRIMARY KEY (user_id, kind, unit_id)
);
