-- Usernames: a core field, unique in the organization whatever its case (username_key is it
-- lowercased); people sign in with it or with their email address.
CREATE TABLE usernames (
    user_id BIGINT PRIMARY KEY NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    org_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    username TEXT NOT NULL,
    username_key TEXT NOT NULL
);
CREATE UNIQUE INDEX usernames_org_key ON usernames (org_id, username_key);
CREATE INDEX usernames_key ON usernames (username_key);

-- Whether every user of the organization must have a username.
CREATE TABLE username_policies (
    org_id BIGINT PRIMARY KEY NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    required BOOLEAN NOT NULL
);
