DROP TRIGGER group_members_lock_user ON group_members;
DROP TRIGGER license_assignments_lock_user ON license_assignments;
DROP TRIGGER user_roles_lock_user ON user_roles;
DROP FUNCTION lock_member_user();
