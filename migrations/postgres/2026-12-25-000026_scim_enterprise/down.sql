ALTER TABLE scim_attributes DROP COLUMN employee_number;
ALTER TABLE scim_attributes DROP COLUMN department;
