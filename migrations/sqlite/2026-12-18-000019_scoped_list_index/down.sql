DROP INDEX users_org_division_name;
