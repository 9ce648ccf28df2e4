ALTER TABLE owned_records DROP COLUMN workspace_id;
DROP TABLE workspace_members;
DROP TABLE workspaces;
