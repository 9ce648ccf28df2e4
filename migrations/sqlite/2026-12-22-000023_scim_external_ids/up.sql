-- The identity provider's own id of a user it provisions over SCIM (`externalId`): Entra ID
-- and Okta keep it to match their users with ours.
CREATE TABLE scim_external_ids (
    user_id BIGINT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    org_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    external_id TEXT NOT NULL
);
CREATE INDEX scim_external_ids_org ON scim_external_ids (org_id, external_id);
