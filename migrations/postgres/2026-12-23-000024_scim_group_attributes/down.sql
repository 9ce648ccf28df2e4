DROP TABLE scim_group_attributes;
