-- The audit log reads as sentences: who acted and on what, by the names they had then (a
-- deleted client still reads well). NULL on events recorded before this migration.
ALTER TABLE audit_events ADD COLUMN actor_name TEXT;
ALTER TABLE audit_events ADD COLUMN target_name TEXT;
-- The audit log filtered by client or by action, newest first.
CREATE INDEX audit_events_org_target_idx ON audit_events (org_id, target, created_at DESC, id DESC);
CREATE INDEX audit_events_org_action_idx ON audit_events (org_id, action, created_at DESC, id DESC);
-- The clients list sorted by name.
CREATE INDEX clients_org_name_idx ON clients (org_id, name, id);
