-- What an identity provider said of a user it provisions over SCIM that Gatehouse keeps only
-- for it: its own id of the user (`externalId`, which Entra ID and Okta match users by) and
-- the type and primary mark it gave the email address and the type of the phone number, given
-- back as it sent them.
CREATE TABLE scim_attributes (
    user_id BIGINT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    org_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    external_id TEXT,
    email_type TEXT,
    email_primary BOOLEAN,
    phone_type TEXT
);
CREATE INDEX scim_attributes_external_id ON scim_attributes (org_id, external_id);
