DROP TRIGGER users_name_key_to_groups ON users;
DROP FUNCTION user_name_key_to_groups();
DROP TRIGGER group_members_name_key ON group_members;
DROP FUNCTION group_member_name_key();
DROP INDEX group_members_name;
ALTER TABLE group_members DROP COLUMN name_key;
