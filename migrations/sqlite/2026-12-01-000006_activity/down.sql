DROP TABLE presence;
DROP TRIGGER audit_fts_delete;
DROP TRIGGER audit_fts_insert;
DROP TABLE audit_fts;
DROP INDEX audit_events_org_time;
DROP INDEX audit_events_org_action;
