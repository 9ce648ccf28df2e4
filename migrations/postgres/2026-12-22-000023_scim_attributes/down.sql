DROP TABLE scim_attributes;
