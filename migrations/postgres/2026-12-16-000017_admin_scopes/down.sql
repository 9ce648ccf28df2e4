DROP TABLE admin_scopes;
