-- A filter on a user field's value, in name order, walks the holders of that value directly,
-- as group and workspace filters do: each value keeps its user's name_key (kept by triggers,
-- whichever path saves a value or renames a user), and (field_id, value_key, name_key,
-- user_id) serves the page and its cursor. A value held by a quarter of the users no longer
-- walks four users of the name index for each one shown.
ALTER TABLE user_field_values ADD COLUMN name_key TEXT COLLATE "C" NOT NULL DEFAULT '';
UPDATE user_field_values v SET name_key = u.name_key FROM users u WHERE u.id = v.user_id;
CREATE INDEX user_field_values_name ON user_field_values (field_id, value_key, name_key, user_id);

CREATE FUNCTION field_value_name_key() RETURNS trigger AS $$
BEGIN
    IF NEW.name_key = '' THEN
        SELECT u.name_key INTO NEW.name_key FROM users u WHERE u.id = NEW.user_id;
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER user_field_values_name_key BEFORE INSERT ON user_field_values
    FOR EACH ROW EXECUTE FUNCTION field_value_name_key();

CREATE FUNCTION user_name_key_to_field_values() RETURNS trigger AS $$
BEGIN
    UPDATE user_field_values SET name_key = NEW.name_key WHERE user_id = NEW.id;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER users_name_key_to_field_values AFTER UPDATE OF name_key ON users
    FOR EACH ROW WHEN (OLD.name_key IS DISTINCT FROM NEW.name_key)
    EXECUTE FUNCTION user_name_key_to_field_values();
