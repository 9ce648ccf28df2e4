DROP TABLE scim_external_ids;
