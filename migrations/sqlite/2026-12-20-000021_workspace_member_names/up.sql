-- A workspace's Users page walks its members in name order directly: each membership keeps
-- its user's name_key (kept by triggers, whichever path inserts a member or renames a user),
-- and (workspace_id, name_key, user_id) serves the page and its cursor.
ALTER TABLE workspace_members ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
UPDATE workspace_members
   SET name_key = (SELECT u.name_key FROM users u WHERE u.id = workspace_members.user_id);
CREATE INDEX workspace_members_name ON workspace_members (workspace_id, name_key, user_id);
CREATE TRIGGER workspace_members_name_key AFTER INSERT ON workspace_members
WHEN NEW.name_key = ''
BEGIN
    UPDATE workspace_members
       SET name_key = (SELECT u.name_key FROM users u WHERE u.id = NEW.user_id)
     WHERE workspace_id = NEW.workspace_id AND user_id = NEW.user_id;
END;
CREATE TRIGGER users_name_key_to_workspaces AFTER UPDATE OF name_key ON users
WHEN OLD.name_key IS NOT NEW.name_key
BEGIN
    UPDATE workspace_members SET name_key = NEW.name_key WHERE user_id = NEW.id;
END;
