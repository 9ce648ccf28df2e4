DROP TRIGGER users_name_key_to_groups;
DROP TRIGGER group_members_name_key;
DROP INDEX group_members_name;
ALTER TABLE group_members DROP COLUMN name_key;
