DROP TABLE supervisor_divisions;
DROP INDEX users_division;
DROP INDEX divisions_org_name;
ALTER TABLE divisions DROP COLUMN name_key;
