DROP INDEX clients_org_name_idx;
DROP INDEX audit_events_org_action_idx;
DROP INDEX audit_events_org_target_idx;
ALTER TABLE audit_events DROP COLUMN target_name;
ALTER TABLE audit_events DROP COLUMN actor_name;
