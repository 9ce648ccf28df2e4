DROP TABLE group_members;
DROP TABLE org_groups;
