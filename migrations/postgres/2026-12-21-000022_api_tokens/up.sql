-- API tokens: a secret for machines (scripts, products, identity providers), made by a person
-- in Settings → API tokens (for the organization) or on My account (personal), or by the
-- operator on the command line. Only the secret's SHA-256 is kept; a token acts with its
-- maker's permissions of the moment, narrowed to its scopes, and stops with its maker.
CREATE TABLE api_tokens (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    personal BOOLEAN NOT NULL,
    scopes TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    -- The secret's first characters, to tell tokens apart in lists and logs.
    prefix TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP,
    last_used_at TIMESTAMP,
    last_used_ip TEXT,
    revoked_at TIMESTAMP
);
CREATE INDEX api_tokens_org ON api_tokens (org_id, id);
CREATE INDEX api_tokens_user ON api_tokens (user_id);
