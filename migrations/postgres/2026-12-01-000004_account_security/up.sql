-- Account security: organization policy, MFA (TOTP and recovery codes), inactivity warnings.
ALTER TABLE organizations ADD COLUMN password_min_length INTEGER NOT NULL DEFAULT 12;
ALTER TABLE organizations ADD COLUMN session_idle_minutes INTEGER NOT NULL DEFAULT 30;
ALTER TABLE organizations ADD COLUMN session_max_hours INTEGER NOT NULL DEFAULT 12;
ALTER TABLE organizations ADD COLUMN audit_retention_days INTEGER NOT NULL DEFAULT 365;

-- When the "blocked soon for inactivity" email went out (once per quiet spell).
ALTER TABLE users ADD COLUMN inactivity_warned_at TIMESTAMP;
-- When a block was last lifted: a quiet spell starts again there.
ALTER TABLE users ADD COLUMN unblocked_at TIMESTAMP;

-- Single-use recovery codes, stored as SHA-256 of the code (each has 50 random bits).
CREATE TABLE recovery_codes (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX recovery_codes_user ON recovery_codes (user_id);
