ALTER TABLE tokens DROP COLUMN payload;
