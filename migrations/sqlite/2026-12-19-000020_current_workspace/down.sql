DROP TABLE current_workspaces;
