DROP TABLE presence;
DROP INDEX audit_events_search_trgm;
ALTER TABLE audit_events DROP COLUMN search_text;
DROP INDEX audit_events_org_time;
DROP INDEX audit_events_org_action;
