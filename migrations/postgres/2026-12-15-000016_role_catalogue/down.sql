DROP TABLE product_permissions;
DELETE FROM role_permissions WHERE permission LIKE 'product:%';
DELETE FROM user_permission_overrides WHERE permission LIKE 'product:%';
INSERT INTO role_permissions (role_id, permission)
    SELECT DISTINCT role_id, 'users.manage' FROM role_permissions WHERE permission = 'users.edit';
INSERT INTO user_permission_overrides (user_id, permission, granted)
    SELECT DISTINCT user_id, 'users.manage', granted FROM user_permission_overrides WHERE permission = 'users.edit';
DELETE FROM role_permissions WHERE permission IN ('users.edit', 'users.access', 'users.status', 'users.delete', 'users.credentials', 'directory.manage', 'roles.manage');
DELETE FROM user_permission_overrides WHERE permission IN ('users.edit', 'users.access', 'users.status', 'users.delete', 'users.credentials', 'directory.manage', 'roles.manage');
DROP TABLE superusers;
ALTER TABLE organizations DROP COLUMN mfa_required_permissions;
ALTER TABLE organizations DROP COLUMN catalog_version;
ALTER TABLE roles DROP COLUMN description;
