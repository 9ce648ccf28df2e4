-- A filter on a user field's value, in name order, walks the holders of that value directly,
-- as group and workspace filters do: each value keeps its user's name_key (kept by triggers,
-- whichever path saves a value or renames a user), and (field_id, value_key, name_key,
-- user_id) serves the page and its cursor. A value held by a quarter of the users no longer
-- walks four users of the name index for each one shown.
ALTER TABLE user_field_values ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
UPDATE user_field_values
   SET name_key = (SELECT u.name_key FROM users u WHERE u.id = user_field_values.user_id);
CREATE INDEX user_field_values_name ON user_field_values (field_id, value_key, name_key, user_id);
CREATE TRIGGER user_field_values_name_key AFTER INSERT ON user_field_values
WHEN NEW.name_key = ''
BEGIN
    UPDATE user_field_values
       SET name_key = (SELECT u.name_key FROM users u WHERE u.id = NEW.user_id)
     WHERE user_id = NEW.user_id AND field_id = NEW.field_id AND value_key = NEW.value_key;
END;
CREATE TRIGGER users_name_key_to_field_values AFTER UPDATE OF name_key ON users
WHEN OLD.name_key IS NOT NEW.name_key
BEGIN
    UPDATE user_field_values SET name_key = NEW.name_key WHERE user_id = NEW.id;
END;
