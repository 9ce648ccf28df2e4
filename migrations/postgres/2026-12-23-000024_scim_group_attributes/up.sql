-- The identity provider's own id of a group it provisions over SCIM (`externalId`).
CREATE TABLE scim_group_attributes (
    group_id BIGINT PRIMARY KEY REFERENCES org_groups(id) ON DELETE CASCADE,
    org_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    external_id TEXT NOT NULL
);
CREATE INDEX scim_group_attributes_external_id ON scim_group_attributes (org_id, external_id);
