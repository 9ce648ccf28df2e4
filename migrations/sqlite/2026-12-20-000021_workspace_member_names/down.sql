DROP TRIGGER users_name_key_to_workspaces;
DROP TRIGGER workspace_members_name_key;
DROP INDEX workspace_members_name;
ALTER TABLE workspace_members DROP COLUMN name_key;
