DROP TRIGGER users_name_key_to_field_values ON users;
DROP FUNCTION user_name_key_to_field_values();
DROP TRIGGER user_field_values_name_key ON user_field_values;
DROP FUNCTION field_value_name_key();
DROP INDEX user_field_values_name;
ALTER TABLE user_field_values DROP COLUMN name_key;
