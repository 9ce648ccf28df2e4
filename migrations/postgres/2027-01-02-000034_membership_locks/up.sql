-- A change to someone's roles, licenses or groups locks that person's row first, before the
-- foreign key's check. The check takes a KEY SHARE lock on the user's row, and the list facts'
-- refresh (migration 000031) then asked for FOR UPDATE: two transactions adding a membership
-- for the same person at once each held the shared lock the other needed to wait out, and
-- PostgreSQL broke the deadlock by failing one of them. Locking first makes the second wait
-- before it holds anything on the row.
CREATE FUNCTION lock_member_user() RETURNS trigger AS $$
BEGIN
    PERFORM 1 FROM users WHERE id = NEW.user_id FOR UPDATE;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER user_roles_lock_user BEFORE INSERT OR UPDATE OF user_id ON user_roles
    FOR EACH ROW EXECUTE FUNCTION lock_member_user();
CREATE TRIGGER license_assignments_lock_user BEFORE INSERT OR UPDATE OF user_id ON license_assignments
    FOR EACH ROW EXECUTE FUNCTION lock_member_user();
CREATE TRIGGER group_members_lock_user BEFORE INSERT OR UPDATE OF user_id ON group_members
    FOR EACH ROW EXECUTE FUNCTION lock_member_user();
