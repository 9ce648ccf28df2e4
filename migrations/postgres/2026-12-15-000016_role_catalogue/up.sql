-- Roles, products and permissions the organization defines.
--
-- A role has a description; the organization's catalogue (roles and product permissions) has
-- a version every instance compares on each request, so an edit is seen everywhere at once.
ALTER TABLE roles ADD COLUMN description TEXT NOT NULL DEFAULT '';
ALTER TABLE organizations ADD COLUMN catalog_version BIGINT NOT NULL DEFAULT 1;
-- MFA required of anyone holding one of these permissions (stored names, comma-separated).
ALTER TABLE organizations ADD COLUMN mfa_required_permissions TEXT NOT NULL DEFAULT '';
-- Tenant superusers hold every permission of their organization.
CREATE TABLE superusers (
    user_id BIGINT PRIMARY KEY NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL
);

-- A product's own permissions; each takes a numbered slot of the organization (0-95), and
-- roles and overrides name it `product:{slot}`.
CREATE TABLE product_permissions (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    product_id BIGINT NOT NULL REFERENCES products(id) ON DELETE CASCADE,
    slot INTEGER NOT NULL CHECK (slot >= 0 AND slot < 96),
    name TEXT NOT NULL,
    UNIQUE (org_id, slot),
    UNIQUE (product_id, name)
);

-- The six coarse console permissions become the finer catalogue: users.manage splits into
-- what it covered; settings.manage keeps settings and gains fields, groups, divisions, roles.
CREATE TABLE permission_split (old TEXT NOT NULL, new TEXT NOT NULL);
INSERT INTO permission_split (old, new) VALUES
    ('users.manage', 'users.edit'),
    ('users.manage', 'users.access'),
    ('users.manage', 'users.status'),
    ('users.manage', 'users.delete'),
    ('users.manage', 'users.credentials'),
    ('settings.manage', 'directory.manage'),
    ('settings.manage', 'roles.manage');
INSERT INTO role_permissions (role_id, permission)
    SELECT DISTINCT r.role_id, s.new FROM role_permissions r
    JOIN permission_split s ON s.old = r.permission
    WHERE NOT EXISTS (SELECT 1 FROM role_permissions o
                      WHERE o.role_id = r.role_id AND o.permission = s.new);
INSERT INTO user_permission_overrides (user_id, permission, granted)
    SELECT DISTINCT u.user_id, s.new, u.granted FROM user_permission_overrides u
    JOIN permission_split s ON s.old = u.permission
    WHERE NOT EXISTS (SELECT 1 FROM user_permission_overrides o
                      WHERE o.user_id = u.user_id AND o.permission = s.new);
DELETE FROM role_permissions WHERE permission = 'users.manage';
DELETE FROM user_permission_overrides WHERE permission = 'users.manage';
DROP TABLE permission_split;

UPDATE roles SET description = 'Holds every permission; only the Owner changes the Owner''s credentials.' WHERE builtin AND name = 'Owner';
UPDATE roles SET description = 'Runs the console: people, roles, licenses and settings.' WHERE builtin AND name = 'Admin';
UPDATE roles SET description = 'Watches who is active and online, and the activity log.' WHERE builtin AND name = 'Manager';
UPDATE roles SET description = 'Leads agents in the products.' WHERE builtin AND name = 'Supervisor';
UPDATE roles SET description = 'Works in the products; signs in to My account only.' WHERE builtin AND name = 'Agent';

-- Each product's default permissions, and the Owner's role holds them.
INSERT INTO product_permissions (org_id, product_id, slot, name)
    SELECT p.org_id, p.id, d.slot, d.name FROM products p JOIN (
        SELECT 'Dialer' AS product, 0 AS slot, 'Auto dial' AS name
        UNION ALL SELECT 'Dialer', 1, 'Listen to recordings'
        UNION ALL SELECT 'Omnichannel', 2, 'Broadcast'
        UNION ALL SELECT 'Omnichannel', 3, 'Chat'
        UNION ALL SELECT 'CRM', 4, 'Export leads'
        UNION ALL SELECT 'CRM', 5, 'Simulator'
    ) d ON d.product = p.name;
INSERT INTO role_permissions (role_id, permission)
    SELECT r.id, 'product:' || pp.slot FROM roles r
    JOIN product_permissions pp ON pp.org_id = r.org_id
    WHERE r.builtin AND r.name IN ('Owner', 'Admin');
