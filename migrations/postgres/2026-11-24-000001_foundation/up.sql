-- Foundation schema (PostgreSQL). Timestamps are UTC. Keep column names and order identical to
-- migrations/sqlite so src/db/schema.rs serves both backends. Sort keys use the C collation so
-- both backends order (and compare keyset cursors) byte for byte alike.

CREATE TABLE app_secrets (
    name TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE organizations (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    allow_auto_signup BOOLEAN NOT NULL DEFAULT TRUE,
    signup_domains TEXT NOT NULL DEFAULT '',
    max_failed_logins INTEGER NOT NULL DEFAULT 5,
    lock_after_inactive_days INTEGER NOT NULL DEFAULT 90,
    password_max_age_days INTEGER NOT NULL DEFAULT 120,
    invite_days INTEGER NOT NULL DEFAULT 7,
    mfa_required_roles TEXT NOT NULL DEFAULT 'Owner,Admin,Supervisor',
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE divisions (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    UNIQUE (org_id, name)
);

CREATE TABLE users (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    email TEXT COLLATE "C" NOT NULL,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    -- lower(last name, first name): the name sort key, kept by the application.
    name_key TEXT COLLATE "C" NOT NULL,
    -- lower(first last email): what Search User matches, kept by the application.
    search_text TEXT NOT NULL,
    phone TEXT NOT NULL DEFAULT '',
    timezone TEXT NOT NULL DEFAULT 'UTC',
    language TEXT NOT NULL DEFAULT 'en',
    call_recording BOOLEAN NOT NULL DEFAULT FALSE,
    division_id BIGINT REFERENCES divisions(id) ON DELETE SET NULL,
    chat_scope TEXT NOT NULL DEFAULT 'all',
    ip_allowlist TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('invited', 'active', 'inactive')),
    locked_at TIMESTAMP,
    lock_reason TEXT CHECK (lock_reason IN ('failed_logins', 'inactivity')),
    password_hash TEXT,
    password_changed_at TIMESTAMP,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    last_failed_login_at TIMESTAMP,
    last_failed_login_ip TEXT,
    last_login_at TIMESTAMP,
    last_active_at TIMESTAMP,
    totp_secret TEXT,
    totp_last_step BIGINT,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    -- Never-active users sort as the oldest activity; one key keeps the keyset cursor simple.
    active_sort TIMESTAMP GENERATED ALWAYS AS (COALESCE(last_active_at, TIMESTAMP '1970-01-01 00:00:00')) STORED
);
CREATE UNIQUE INDEX users_email ON users (email);
CREATE INDEX users_org_name ON users (org_id, name_key, id);
CREATE INDEX users_org_email ON users (org_id, email, id);
CREATE INDEX users_org_active ON users (org_id, active_sort, id);

-- Search User: substring search through a trigram index (pg_trgm, trusted since PostgreSQL 13).
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX users_search_trgm ON users USING gin (search_text gin_trgm_ops);

CREATE TABLE roles (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    builtin BOOLEAN NOT NULL DEFAULT FALSE,
    UNIQUE (org_id, name)
);

CREATE TABLE role_permissions (
    role_id BIGINT NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
    permission TEXT NOT NULL,
    PRIMARY KEY (role_id, permission)
);

CREATE TABLE user_roles (
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role_id BIGINT NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, role_id)
);
CREATE INDEX user_roles_role ON user_roles (role_id, user_id);

CREATE TABLE user_permission_overrides (
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    permission TEXT NOT NULL,
    granted BOOLEAN NOT NULL,
    PRIMARY KEY (user_id, permission)
);

CREATE TABLE products (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    seats INTEGER NOT NULL,
    seats_used INTEGER NOT NULL DEFAULT 0 CHECK (seats_used >= 0),
    UNIQUE (org_id, name)
);

CREATE TABLE license_assignments (
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    product_id BIGINT NOT NULL REFERENCES products(id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, product_id)
);
CREATE INDEX license_assignments_product ON license_assignments (product_id, user_id);

CREATE TABLE tokens (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    org_id BIGINT REFERENCES organizations(id) ON DELETE CASCADE,
    user_id BIGINT REFERENCES users(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    attempts INTEGER NOT NULL DEFAULT 0,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX tokens_user ON tokens (user_id, kind);

CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY NOT NULL,
    user_id BIGINT REFERENCES users(id) ON DELETE CASCADE,
    state TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- Audit events outlive the users they name: no foreign keys, labels kept as written.
CREATE TABLE audit_events (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT,
    actor_id BIGINT,
    actor_label TEXT NOT NULL DEFAULT '',
    action TEXT NOT NULL,
    target_id BIGINT,
    target_label TEXT NOT NULL DEFAULT '',
    details TEXT NOT NULL DEFAULT '{}',
    ip TEXT NOT NULL DEFAULT '',
    user_agent TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX audit_events_org ON audit_events (org_id, id);
CREATE INDEX audit_events_target ON audit_events (target_id, id);
CREATE INDEX audit_events_actor ON audit_events (actor_id, id);
