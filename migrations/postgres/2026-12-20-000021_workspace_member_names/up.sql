-- A workspace's Users page walks its members in name order directly: each membership keeps
-- its user's name_key (kept by triggers, whichever path inserts a member or renames a user),
-- and (workspace_id, name_key, user_id) serves the page and its cursor.
ALTER TABLE workspace_members ADD COLUMN name_key TEXT COLLATE "C" NOT NULL DEFAULT '';
UPDATE workspace_members m SET name_key = u.name_key FROM users u WHERE u.id = m.user_id;
CREATE INDEX workspace_members_name ON workspace_members (workspace_id, name_key, user_id);

CREATE FUNCTION workspace_member_name_key() RETURNS trigger AS $$
BEGIN
    IF NEW.name_key = '' THEN
        SELECT u.name_key INTO NEW.name_key FROM users u WHERE u.id = NEW.user_id;
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER workspace_members_name_key BEFORE INSERT ON workspace_members
    FOR EACH ROW EXECUTE FUNCTION workspace_member_name_key();

CREATE FUNCTION user_name_key_to_workspaces() RETURNS trigger AS $$
BEGIN
    UPDATE workspace_members SET name_key = NEW.name_key WHERE user_id = NEW.id;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER users_name_key_to_workspaces AFTER UPDATE OF name_key ON users
    FOR EACH ROW WHEN (OLD.name_key IS DISTINCT FROM NEW.name_key)
    EXECUTE FUNCTION user_name_key_to_workspaces();
