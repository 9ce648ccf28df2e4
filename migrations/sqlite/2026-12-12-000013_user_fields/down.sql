DROP TABLE list_columns;
DROP TABLE user_field_values;
DROP TABLE user_fields;
