-- Groups an organization defines to sort its people: tags, skill groups and teams. A name is
-- unique per kind in the organization, whatever its case (name_key is the lowercased name).
CREATE TABLE org_groups (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('tag', 'skill', 'team')),
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX org_groups_name ON org_groups (org_id, kind, name_key);

-- Who holds a group. The primary key serves "this user's groups"; the second index serves
-- the list's group filter and the member counts.
CREATE TABLE group_members (
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    group_id BIGINT NOT NULL REFERENCES org_groups(id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, group_id)
);
CREATE INDEX group_members_group ON group_members (group_id, user_id);
