-- The audit log names any kind of principal (the operator, an admin client, and people next),
-- not only clients: the actor's kind beside its id. Events recorded before name a client, or
-- the operator as `cli` / `bootstrap`.
ALTER TABLE audit_events RENAME COLUMN actor_client_id TO actor_id;
ALTER TABLE audit_events ADD COLUMN actor_type TEXT NOT NULL DEFAULT 'client';
UPDATE audit_events SET actor_type = 'operator'
  WHERE actor_id IN ('cli', 'bootstrap') AND actor_name IS NULL;
