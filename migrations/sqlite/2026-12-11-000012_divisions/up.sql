-- Divisions are managed in Settings: a name unique per organization, in any case.
ALTER TABLE divisions ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
UPDATE divisions SET name_key = lower(trim(name));
-- Names that only differed by case keep apart by their id.
UPDATE divisions SET name_key = name_key || '#' || id
 WHERE EXISTS (SELECT 1 FROM divisions d WHERE d.org_id = divisions.org_id
                 AND d.name_key = divisions.name_key AND d.id < divisions.id);
CREATE UNIQUE INDEX divisions_org_name ON divisions (org_id, name_key);
CREATE INDEX users_division ON users (division_id);
-- The divisions a Supervisor with "Assigned divisions only" may chat with.
CREATE TABLE supervisor_divisions (
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    division_id BIGINT NOT NULL REFERENCES divisions(id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, division_id)
);
CREATE INDEX supervisor_divisions_division ON supervisor_divisions (division_id);
