-- The enterprise extension's department and employee number as the identity provider sent
-- them (a department naming one of the organization's divisions also places the user there).
ALTER TABLE scim_attributes ADD COLUMN department TEXT;
ALTER TABLE scim_attributes ADD COLUMN employee_number TEXT;
