-- A scoped administrator's list (one division) walks this index in name order directly,
-- instead of reading every user of the organization's name index and checking the division.
CREATE INDEX users_org_division_name ON users (org_id, division_id, name_key, id);
