-- Single sign-on: the organization's OpenID Connect providers, the people linked to them (by
-- the provider's subject), the sign-ins under way (state, nonce and PKCE verifier, each used
-- once), and the organization's sign-in policy.
CREATE TABLE identity_providers (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    org_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    -- The button's words: "Sign in with <name>".
    name TEXT NOT NULL,
    -- generic, google, entra, okta, salesforce or keycloak: what filled the issuer.
    preset TEXT NOT NULL,
    issuer TEXT NOT NULL,
    client_id TEXT NOT NULL,
    -- Write-only on the page; kept as is, since the token request needs it.
    client_secret TEXT NOT NULL,
    scopes TEXT NOT NULL,
    -- The ID-token claim that holds the email address.
    email_claim TEXT NOT NULL,
    -- The provider's MFA (an amr claim naming one) counts as the organization's second step.
    trust_mfa BOOLEAN NOT NULL DEFAULT FALSE,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX identity_providers_org ON identity_providers (org_id);

CREATE TABLE user_identities (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    org_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    provider_id BIGINT NOT NULL REFERENCES identity_providers(id) ON DELETE CASCADE,
    subject TEXT NOT NULL,
    -- The address the provider gave when the link was made.
    email TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP
);
CREATE UNIQUE INDEX user_identities_subject ON user_identities (provider_id, subject);
CREATE UNIQUE INDEX user_identities_user ON user_identities (provider_id, user_id);
CREATE INDEX user_identities_of_user ON user_identities (user_id);

CREATE TABLE sso_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    -- SHA-256 of the state sent to the provider.
    state_hash TEXT NOT NULL,
    provider_id BIGINT NOT NULL REFERENCES identity_providers(id) ON DELETE CASCADE,
    -- sign_in, link, test or invite.
    purpose TEXT NOT NULL,
    -- link and test: who asked.
    user_id BIGINT REFERENCES users(id) ON DELETE CASCADE,
    -- invite: the invitation link's secret.
    invite TEXT,
    nonce TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    next TEXT NOT NULL DEFAULT '',
    -- Set when the answer came back: a second answer with the same state is a replay.
    used_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX sso_requests_state ON sso_requests (state_hash);
CREATE INDEX sso_requests_expiry ON sso_requests (expires_at);

CREATE TABLE sso_settings (
    org_id BIGINT PRIMARY KEY NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    -- Members sign in through a provider; Owners keep their password (break-glass).
    required BOOLEAN NOT NULL DEFAULT FALSE,
    -- What people who join through a provider get (auto sign-up): a role, and licenses.
    role_id BIGINT REFERENCES roles(id) ON DELETE SET NULL,
    product_ids TEXT NOT NULL DEFAULT ''
);
