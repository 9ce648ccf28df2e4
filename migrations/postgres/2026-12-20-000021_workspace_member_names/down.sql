DROP TRIGGER users_name_key_to_workspaces ON users;
DROP FUNCTION user_name_key_to_workspaces();
DROP TRIGGER workspace_members_name_key ON workspace_members;
DROP FUNCTION workspace_member_name_key();
DROP INDEX workspace_members_name;
ALTER TABLE workspace_members DROP COLUMN name_key;
