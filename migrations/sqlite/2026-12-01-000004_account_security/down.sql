DROP TABLE recovery_codes;
ALTER TABLE users DROP COLUMN unblocked_at;
ALTER TABLE users DROP COLUMN inactivity_warned_at;
ALTER TABLE organizations DROP COLUMN audit_retention_days;
ALTER TABLE organizations DROP COLUMN session_max_hours;
ALTER TABLE organizations DROP COLUMN session_idle_minutes;
ALTER TABLE organizations DROP COLUMN password_min_length;
