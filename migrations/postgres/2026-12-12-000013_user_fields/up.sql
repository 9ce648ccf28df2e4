-- Fields an organization defines on its users' profiles (Settings → User fields). The key is
-- what CSV columns and the API name a field by: unique in the organization, never changed.
CREATE TABLE user_fields (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    field_key TEXT NOT NULL,
    label TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('text', 'number', 'checkbox', 'choice', 'multi_choice',
        'date', 'email', 'phone', 'url', 'secret')),
    section TEXT NOT NULL DEFAULT '',
    position INTEGER NOT NULL DEFAULT 0,
    help TEXT NOT NULL DEFAULT '',
    -- 'never', 'always', or 'roles' (then required_roles holds the role ids, comma-separated).
    required TEXT NOT NULL DEFAULT 'never' CHECK (required IN ('never', 'always', 'roles')),
    required_roles TEXT NOT NULL DEFAULT '',
    is_unique BOOLEAN NOT NULL DEFAULT FALSE,
    min_length INTEGER,
    max_length INTEGER,
    pattern TEXT NOT NULL DEFAULT '',
    pattern_message TEXT NOT NULL DEFAULT '',
    -- One option per line: "code | Label", or a label that is its own code.
    options TEXT NOT NULL DEFAULT '',
    -- Shown (and kept) only while the field keyed show_when_key holds show_when_value.
    show_when_key TEXT NOT NULL DEFAULT '',
    show_when_value TEXT NOT NULL DEFAULT '',
    -- 'admins' (admins see and edit it) or 'self' (the user too, on My account).
    access TEXT NOT NULL DEFAULT 'admins' CHECK (access IN ('admins', 'self')),
    searchable BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX user_fields_key ON user_fields (org_id, field_key);

-- The values users hold: one row per value (a multiple choice has one per option ticked).
-- value_key is the value lowercased: what a filter compares. unique_key repeats it for a field
-- marked unique and is NULL otherwise, so the unique index below settles two parallel saves.
CREATE TABLE user_field_values (
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    field_id BIGINT NOT NULL REFERENCES user_fields(id) ON DELETE CASCADE,
    value TEXT NOT NULL,
    value_key TEXT NOT NULL,
    unique_key TEXT,
    PRIMARY KEY (user_id, field_id, value_key)
);
CREATE UNIQUE INDEX user_field_values_unique ON user_field_values (field_id, unique_key);
CREATE INDEX user_field_values_filter ON user_field_values (field_id, value_key, user_id);

-- The extra columns (user fields) each person chose for their users list, ids comma-separated.
CREATE TABLE list_columns (
    user_id BIGINT PRIMARY KEY NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    field_ids TEXT NOT NULL
);
