ALTER TABLE audit_events DROP COLUMN actor_type;
ALTER TABLE audit_events RENAME COLUMN actor_id TO actor_client_id;
