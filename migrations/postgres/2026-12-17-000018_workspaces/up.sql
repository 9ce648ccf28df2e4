-- Workspaces inside an organization: each has members with an access level (Owner, Manager,
-- Agent) and restrictions; records belong to one. A new organization has one workspace, which
-- every member of the organization joins; archiving one keeps its rows (ids never come back).
CREATE TABLE workspaces (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    archived_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX workspaces_name ON workspaces (org_id, name_key);

-- The primary key serves a workspace's members; the second index serves a user's workspaces.
CREATE TABLE workspace_members (
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    level TEXT NOT NULL CHECK (level IN ('owner', 'manager', 'agent')),
    restrictions TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX workspace_members_user ON workspace_members (user_id, workspace_id);

-- Records belong to a workspace.
-- (No foreign key: SQLite cannot drop such a column again; workspaces are archived, never
-- deleted, except with their organization, whose records go too.)
ALTER TABLE owned_records ADD COLUMN workspace_id BIGINT;

-- Every organization gets its first workspace, named after it; everyone joins it (the Owner
-- as its Owner), and its records are that workspace's.
INSERT INTO workspaces (org_id, name, name_key, created_at)
    SELECT id, name, lower(trim(name)), created_at FROM organizations;
INSERT INTO workspace_members (workspace_id, user_id, level, restrictions, created_at)
    SELECT w.id, u.id,
           CASE WHEN EXISTS (SELECT 1 FROM user_roles ur JOIN roles r ON r.id = ur.role_id
                             WHERE ur.user_id = u.id AND r.name = 'Owner')
                THEN 'owner' ELSE 'agent' END,
           '', u.created_at
    FROM users u JOIN workspaces w ON w.org_id = u.org_id;
UPDATE owned_records SET workspace_id =
    (SELECT w.id FROM workspaces w WHERE w.org_id = owned_records.org_id);
